/* Akhbar explorer, the data half: loading, the Arabic search key, search. No DOM here
 * beyond <script> tags (views.js renders the pages).
 *
 * Data arrive as scripts calling AKHBAR.load (the columnar index), AKHBAR.shard (texts),
 * AKHBAR.searchIndex (the folded words and their rows) and AKHBAR.changes (a diff report): fetching a file is blocked on file://, <script src> is not.
 * Row numbers are the key everywhere: kept rows first (train, validation, test), then
 * the removed ones; index.kind[row] is 0..2 for a split and 3 for removed.
 */
'use strict';
(function () {
  const A = window.AKHBAR = { shards: {}, pending: {}, searchReady: false, timings: {}, REMOVED: 3 };
  let M = null; // meta: stats, vocabularies, thresholds, shard starts
  let I = null; // the columnar index
  const REMOVED = A.REMOVED;

  A.load = function (data) { M = A.meta = data.meta; I = A.index = data.index; };
  A.shard = function (n, rows) { A.shards[n] = rows; };
  A.changes = function (report) { A.changeReport = report; };

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error('cannot load ' + src));
      document.head.appendChild(s);
    });
  }

  function shardOf(row) {
    let lo = 0, hi = M.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (M.shards[mid] <= row) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  function loadShard(n) {
    if (A.shards[n]) return Promise.resolve();
    if (!A.pending[n]) A.pending[n] = loadScript(`data/text-${String(n).padStart(4, '0')}.js`);
    return A.pending[n];
  }

  /** [text, extra] of a row (loads its shard on first use). */
  async function rowData(row) {
    const n = shardOf(row);
    await loadShard(n);
    return A.shards[n][row - M.shards[n]];
  }

  // ------------------------------------------------------------------ search key
  // The same fold as akhbar.folding.fold: no diacritics, tatweel or controls; alef/hamza
  // forms, alef maksura, teh marbuta (and Persian/Arabic-Indic letters and digits) mapped;
  // lower case; punctuation and symbols to spaces; whitespace collapsed.
  let DROP = null, MAPPED = null, TABLE = null;
  /** The fold of a short string, by regular expressions, without the final trim. */
  function foldRegex(s) {
    if (!DROP) {
      DROP = new RegExp('[' + M.fold.drop + ']', 'gu');
      MAPPED = new RegExp('[' + Object.keys(M.fold.map).join('') + ']', 'gu');
    }
    return s.replace(DROP, '').replace(MAPPED, (c) => M.fold.map[c])
      .toLowerCase().replace(/[\p{P}\p{S}]/gu, ' ').replace(/[\s\u0085]/g, ' ');
  }
  // Every step of the fold but the whitespace collapse is per character, so it is
  // tabulated once for the 65,536 UTF-16 code units (DROPPED, a code unit, or SLOW for
  // surrogates and the rare letters whose lower case is longer) and applied in one loop.
  const DROPPED = 0xFFFF, SLOW = 0xFFFE, SPACE = 32;
  function table() {
    TABLE = new Uint16Array(65536);
    for (let c = 0; c < 65536; c++) {
      if (c >= 0xD800 && c <= 0xDFFF) { TABLE[c] = SLOW; continue; }
      const f = foldRegex(String.fromCharCode(c));
      TABLE[c] = f.length === 0 ? DROPPED : f.length === 1 && f.charCodeAt(0) < SLOW ? f.charCodeAt(0) : SLOW;
    }
  }
  const utf16 = new TextDecoder('utf-16le');
  function fold(s) {
    if (!TABLE) table();
    s = String(s || '');
    let out = new Uint16Array(s.length + 8), j = 0;
    const put = (code) => {
      if (code === SPACE && (j === 0 || out[j - 1] === SPACE)) return;
      if (j === out.length) { const bigger = new Uint16Array(out.length * 2); bigger.set(out); out = bigger; }
      out[j++] = code;
    };
    for (let i = 0; i < s.length; i++) {
      const t = TABLE[s.charCodeAt(i)];
      if (t === DROPPED) continue;
      if (t !== SLOW) { put(t); continue; }
      const cp = s.codePointAt(i);
      const ch = String.fromCodePoint(cp);
      if (cp > 0xFFFF) i++;
      const f = foldRegex(ch);
      for (let k = 0; k < f.length; k++) put(f.charCodeAt(k));
    }
    if (j > 0 && out[j - 1] === SPACE) j--;
    return utf16.decode(out.subarray(0, j));
  }
  A.fold = fold;

  // ------------------------------------------------------------------ search index
  // data/search.js (akhbar.explore.search): the folded words of every title and text,
  // newline-joined, and each word's rows as LEB128 gaps, gzip + base64. Loaded once, on
  // the first visit of the Articles page; the text shards are never read to search.
  let V = null;     // "\n" + words joined by "\n" + "\n"
  let NL = null;    // NL[t]: index in V of the newline before word t (NL[n]: the last)
  let POST = null;  // the postings bytes
  let OFF = null;   // OFF[t]: offset in POST of word t's list
  let searchLoading = null;
  A.searchIndex = function (b64) { A.searchB64 = b64; };

  async function inflate(b64) {
    const bin = atob(b64);
    const gz = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) gz[i] = bin.charCodeAt(i);
    const stream = new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function skipVarint(p) { while (POST[p] & 0x80) p++; return p + 1; }

  async function loadSearchIndex() {
    const t0 = performance.now();
    await loadScript(M.search.file);
    const buf = await inflate(A.searchB64);
    A.searchB64 = null;
    const size = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true);
    V = new TextDecoder().decode(buf.subarray(4, 4 + size));
    POST = buf.subarray(4 + size);
    const n = M.search.words;
    NL = new Uint32Array(n + 1);
    OFF = new Uint32Array(n);
    let at = 0;
    for (let t = 0; t <= n; t++) { NL[t] = at; at = V.indexOf('\n', at + 1); }
    let p = 0;
    for (let t = 0; t < n; t++) {
      OFF[t] = p;
      let count = 0, shift = 0, b;
      do { b = POST[p++]; count += (b & 0x7F) * 2 ** shift; shift += 7; } while (b & 0x80);
      for (let i = 0; i < count; i++) p = skipVarint(p);
    }
    A.timings.loadSearchMs = performance.now() - t0;
    A.searchReady = true;
  }
  /** Load the search index (once; later calls share the first one's promise). */
  A.loadSearch = function () {
    if (!searchLoading) searchLoading = loadSearchIndex();
    return searchLoading;
  };

  /** The word whose span in V holds position pos (the last newline before it). */
  function wordAt(pos) {
    let lo = 0, hi = NL.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (NL[mid] < pos) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** hits[row] goes from k to k + 1 for each row holding a word that contains w. */
  function markWord(w, k, hits) {
    let from = 0, pos;
    while ((pos = V.indexOf(w, from)) >= 0) {
      const t = wordAt(pos);
      let p = OFF[t], count = 0, shift = 0, b;
      do { b = POST[p++]; count += (b & 0x7F) * 2 ** shift; shift += 7; } while (b & 0x80);
      let row = 0;
      for (let i = 0; i < count; i++) {
        let gap = POST[p++];
        if (gap & 0x80) { // a gap of several bytes (most are one byte: the fast path)
          gap &= 0x7F; shift = 7;
          do { b = POST[p++]; gap += (b & 0x7F) * 2 ** shift; shift += 7; } while (b & 0x80);
        }
        row = i === 0 ? gap : row + gap;
        if (hits[row] === k) hits[row] = k + 1;
      }
      from = NL[t + 1] + 1; // the next word: one hit per word is enough
    }
  }

  /** Row numbers matching a query (every folded word, inside a word of the title or
   * text) and the filters. The search index must be loaded when the query has words. */
  A.search = function (q, f) {
    const t0 = performance.now();
    const words = [...new Set(fold(q).split(' ').filter(Boolean))].slice(0, 255);
    let hits = null;
    if (words.length) {
      hits = new Uint8Array(M.rows);
      words.forEach((w, k) => markWord(w, k, hits));
    }
    const sig = f.signal ? I[f.signal] : null;
    const out = [];
    for (let row = 0; row < M.rows; row++) {
      if (hits && hits[row] !== words.length) continue;
      const k = I.kind[row];
      if (f.split === 'kept' ? k === REMOVED : f.split === 'removed' ? k !== REMOVED
        : f.split !== 'all' && f.split !== undefined && k !== M.splits.indexOf(f.split)) continue;
      if (f.source >= 0 && I.source[row] !== f.source) continue;
      if (f.category >= 0 && I.category[row] !== f.category) continue;
      if (f.from != null && !(I.date[row] >= f.from)) continue;
      if (f.to != null && !(I.date[row] <= f.to)) continue;
      if (sig && ((f.min != null && !(sig[row] >= f.min)) || (f.max != null && !(sig[row] <= f.max)))) continue;
      out.push(row);
    }
    A.timings.searchMs = performance.now() - t0;
    return out;
  };

  A.loadScript = loadScript;
  A.rowData = rowData;
})();
