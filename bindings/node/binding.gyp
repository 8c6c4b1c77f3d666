# For a vendored copy only (npm install path/to/bindings/node): builds
# build/Release/zhfts.node against an installed libzhfts found by
# pkg-config.  In this source tree meson builds the module instead.
{
  "targets": [
    {
      "target_name": "zhfts",
      "sources": ["src/zhfts_node.c"],
      "cflags": ["-std=c11", "<!@(pkg-config --cflags zhfts)"],
      "defines": ["_POSIX_C_SOURCE=200809L"],
      "libraries": ["<!@(pkg-config --libs zhfts)"],
      "ldflags": ["<!@(pkg-config --libs-only-L zhfts | sed 's/-L/-Wl,-rpath,/g')"]
    }
  ]
}
