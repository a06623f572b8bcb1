/* Akhbar explorer, the data half: loading, the Arabic search key, search. No DOM here
 * beyond <script> tags (views.js renders the pages).
 *
 * Data arrive as scripts calling AKHBAR.load (the columnar index), AKHBAR.shard (texts)
 * and AKHBAR.changes (a diff report): fetching a file is blocked on file://, <script src> is not.
 * Row numbers are the key everywhere: kept rows first (train, validation, test), then
 * the removed ones; index.kind[row] is 0..2 for a split and 3 for removed.
 */
'use strict';
(function () {
  const A = window.AKHBAR = { shards: {}, pending: {}, keys: null, timings: {}, REMOVED: 3 };
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
  // surrogates and the rare letters whose lower case is longer) and applied in one loop:
  // 90 MB of text fold in a second instead of a minute of regex passes.
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

  /** Load every text shard and fold each row's title and text once. */
  A.loadAll = async function (onProgress) {
    if (A.keys) return;
    const t0 = performance.now();
    let done = 0;
    await Promise.all(M.shards.map((_, n) => loadShard(n).then(() => {
      done += 1;
      if (onProgress) onProgress(done, M.shards.length);
    })));
    A.timings.shardsMs = performance.now() - t0;
    const keys = new Array(M.rows);
    for (let n = 0; n < M.shards.length; n++) {
      const rows = A.shards[n];
      for (let j = 0; j < rows.length; j++) {
        const row = M.shards[n] + j;
        keys[row] = fold(I.title[row]) + ' | ' + fold(rows[j][0]);
      }
    }
    A.keys = keys;
    A.timings.loadAllMs = performance.now() - t0;
    A.timings.foldMs = A.timings.loadAllMs - A.timings.shardsMs;
  };

  /** Row numbers matching a query (every folded word) and the filters. */
  A.search = function (q, f) {
    const t0 = performance.now();
    const words = fold(q).split(' ').filter(Boolean);
    const sig = f.signal ? I[f.signal] : null;
    const out = [];
    for (let row = 0; row < M.rows; row++) {
      const k = I.kind[row];
      if (f.split === 'kept' ? k === REMOVED : f.split === 'removed' ? k !== REMOVED
        : f.split !== 'all' && f.split !== undefined && k !== M.splits.indexOf(f.split)) continue;
      if (f.source >= 0 && I.source[row] !== f.source) continue;
      if (f.category >= 0 && I.category[row] !== f.category) continue;
      if (f.from != null && !(I.date[row] >= f.from)) continue;
      if (f.to != null && !(I.date[row] <= f.to)) continue;
      if (sig && ((f.min != null && !(sig[row] >= f.min)) || (f.max != null && !(sig[row] <= f.max)))) continue;
      if (words.length) {
        const key = A.keys[row];
        let all = true;
        for (const w of words) if (key.indexOf(w) < 0) { all = false; break; }
        if (!all) continue;
      }
      out.push(row);
    }
    A.timings.searchMs = performance.now() - t0;
    return out;
  };

  A.loadScript = loadScript;
  A.rowData = rowData;
})();
