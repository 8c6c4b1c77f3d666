'use strict';
// The little JavaScript of the search page: put the caret (or the error)
// in the search box, and '/' to get back to it.  The page works without it.
(() => {
  const box = document.getElementById('q');
  if (!box) return;
  const start = box.dataset.errorStart;
  if (start !== undefined) {
    // select the piece of the query the error is at: the mark in the box
    const s = Math.min(Number(start), box.value.length);
    const e = Math.min(Math.max(Number(box.dataset.errorEnd), s), box.value.length);
    box.focus();
    box.setSelectionRange(s, e);
  } else if (document.activeElement === box || !document.activeElement || document.activeElement === document.body) {
    box.focus();
    const n = box.value.length;
    box.setSelectionRange(n, n);
  }
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t.isContentEditable) return;
    ev.preventDefault();
    box.focus();
    box.select();
  });
})();
