// The public header compiles as C++ and its declarations link from C++.
#include <zhfts.h>

#include <cstdio>
#include <cstring>

int main()
{
	zhfts_tokenizer *t = nullptr;
	if (zhfts_tokenizer_new(&t, nullptr) != ZHFTS_OK)
		return 1;
	int n = 0;
	int rc = zhfts_tokenize(t, "科学城", std::strlen("科学城"),
	                        [](void *ctx, const zhfts_token *) { return ++*static_cast<int *>(ctx), 0; }, &n);
	zhfts_tokenizer_free(t);
	std::printf("%s: %d token(s)\n", zhfts_version(), n);
	return rc == ZHFTS_OK && n == 2 ? 0 : 1; // 科学|城
}
