/* Akhbar explorer, the pages: overview, articles, one row, removed, signals, changes.
 * Hand-written HTML strings (every value through esc) and inline SVG; no library.
 */
'use strict';
(function () {
  const A = window.AKHBAR;
  const REMOVED = A.REMOVED;
  const { loadScript, rowData } = A;
  let M = null; // A.meta and A.index, set by start() once data/index.js has run
  let I = null;
  const view = () => document.getElementById('view');

  // ------------------------------------------------------------------ helpers
  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const fmt = (n) => (n == null ? '—' : Number(n).toLocaleString('en-US'));
  const pct = (a, b) => (b ? (100 * a / b).toFixed(1) + '%' : '—');
  const day = (d) => (d == null ? '' : new Date(d * 86400000).toISOString().slice(0, 10));
  const vocab = (name, i) => (i < 0 ? null : M.vocabs[name][i]);
  const kindName = (row) => (I.kind[row] === REMOVED ? 'removed' : M.splits[I.kind[row]]);
  const rowLink = (row) => `<a href="#row/${row}">${esc(I.title[row] || '(بلا عنوان · no title)')}</a>`;

  // ------------------------------------------------------------------ overview
  function countBy(column, pred) {
    const out = new Map();
    for (let row = 0; row < M.rows; row++) {
      if (!pred(row)) continue;
      const v = I[column][row];
      out.set(v, (out.get(v) || 0) + 1);
    }
    return out;
  }

  function sharesTable(column, vocabName, label) {
    const kept = countBy(column, (r) => I.kind[r] !== REMOVED);
    const removed = countBy(column, (r) => I.kind[r] === REMOVED);
    const keys = [...new Set([...kept.keys(), ...removed.keys()])]
      .sort((a, b) => ((kept.get(b) || 0) + (removed.get(b) || 0)) - ((kept.get(a) || 0) + (removed.get(a) || 0)));
    const rows = keys.map((key) => {
      const k = kept.get(key) || 0, r = removed.get(key) || 0;
      const w = (x) => Math.round(200 * x / (k + r));
      return `<tr><td>${esc(vocab(vocabName, key) ?? '(unknown)')}</td><td class="n">${fmt(k)}</td>
        <td class="n">${fmt(r)}</td><td><span class="share"><span class="bar" style="width:${w(k)}px"></span><span class="bar removed" style="width:${w(r)}px"></span> ${pct(k, k + r)}</span></td></tr>`;
    });
    return `<table><tr><th>${label}</th><th class="n">kept</th><th class="n">removed</th><th>kept share</th></tr>${rows.join('')}</table>`;
  }

  function renderOverview() {
    const s = M.stats || {};
    const stages = ['ingest', 'parse', 'clean', 'filter', 'dedup', 'split'];
    const funnel = stages.filter((st) => s.stages && s.stages[st]).map((st) => {
      const r = s.stages[st];
      const reasons = Object.entries(r.rejected || {}).map(([k, v]) =>
        `<a href="#removed/${encodeURIComponent(k)}">${esc(k)}</a> ${fmt(v)}`).join('<br>');
      const w = Math.round(300 * (r.rows_out || 0) / Math.max(1, s.records_in || r.rows_in || 1));
      return `<tr><td>${st}</td><td class="n">${fmt(r.rows_in)}</td><td class="n">${fmt(r.rows_out)}</td>
        <td><span class="bar" style="width:${Math.min(w, 400)}px"></span></td><td>${reasons || '—'}</td></tr>`;
    }).join('');
    const splits = M.splits.map((sp) => `<tr><td>${sp}</td><td class="n">${fmt((s.articles || {})[sp])}</td>
      <td class="n">${pct((s.articles || {})[sp], s.articles_total)}</td></tr>`).join('');
    const reasons = Object.entries(s.rejected || {}).sort((a, b) => b[1] - a[1]).map(([k, v]) =>
      `<tr><td><a href="#removed/${encodeURIComponent(k)}">${esc(k)}</a></td><td class="n">${fmt(v)}</td>
       <td class="n">${pct(v, s.records_in)}</td></tr>`).join('');
    const plots = (M.plots || []).map((p) => `<img src="${esc(p)}" alt="${esc(p)}">`).join('');
    view().innerHTML = `
      <h2>المسار · Funnel: ${fmt(s.records_in)} raw records → ${fmt(s.articles_total)} articles</h2>
      <table><tr><th>stage</th><th class="n">rows in</th><th class="n">rows out</th><th></th><th>removed (reason: count)</th></tr>${funnel}</table>
      <h2>Splits</h2><table><tr><th>split</th><th class="n">articles</th><th class="n">share</th></tr>${splits}</table>
      <h2>أسباب الاستبعاد · Every rejection reason (${fmt(s.rejected_total)})</h2>
      <table><tr><th>reason</th><th class="n">records</th><th class="n">of raw</th></tr>${reasons}</table>
      <h2>المصادر · Per source</h2>${sharesTable('source', 'sources', 'source')}
      <h2>الأقسام · Per category</h2>${sharesTable('category', 'categories', 'category')}
      ${plots ? `<h2>Plots (dataset card)</h2><div class="plots">${plots}</div>` : ''}`;
  }

  // ------------------------------------------------------------------ articles
  const state = { q: '', split: 'kept', source: -1, category: -1, from: null, to: null, signal: '', min: null, max: null };

  function options(vocabName, selected) {
    return `<option value="-1">all</option>` + M.vocabs[vocabName].map((v, i) =>
      `<option value="${i}"${i === selected ? ' selected' : ''}>${esc(v)}</option>`).join('');
  }

  function renderArticles() {
    const splitOpts = ['kept', ...M.splits, 'removed', 'all'].map((s) =>
      `<option${s === state.split ? ' selected' : ''}>${s}</option>`).join('');
    const sigOpts = '<option value="">—</option>' + M.signals.map((s) =>
      `<option${s.name === state.signal ? ' selected' : ''}>${s.name}</option>`).join('');
    view().innerHTML = `
      <form class="filters" id="filters" onsubmit="return false">
        <label>بحث · search (title and text)<input type="search" name="q" value="${esc(state.q)}" placeholder="كلمة أو عبارة"></label>
        <label>split<select name="split">${splitOpts}</select></label>
        <label>source<select name="source">${options('sources', state.source)}</select></label>
        <label>category<select name="category">${options('categories', state.category)}</select></label>
        <label>from<input type="date" name="from" value="${day(state.from)}"></label>
        <label>to<input type="date" name="to" value="${day(state.to)}"></label>
        <label>signal<select name="signal">${sigOpts}</select></label>
        <label>min<input type="number" step="any" name="min" value="${state.min ?? ''}"></label>
        <label>max<input type="number" step="any" name="max" value="${state.max ?? ''}"></label>
      </form>
      <p id="status" class="muted"></p><ul class="results" id="results"></ul>`;
    const form = document.getElementById('filters');
    let timer = null;
    form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => runSearch(form), 150); });
    runSearch(form);
  }

  async function runSearch(form) {
    const v = (n) => form.elements[n].value;
    const num = (n) => (v(n) === '' ? null : Number(v(n)));
    const date = (n) => (v(n) ? Math.floor(Date.parse(v(n)) / 86400000) : null);
    Object.assign(state, { q: v('q'), split: v('split'), source: Number(v('source')), category: Number(v('category')),
      from: date('from'), to: date('to'), signal: v('signal'), min: num('min'), max: num('max') });
    const status = document.getElementById('status');
    if (state.q.trim() && !A.searchReady) {
      status.textContent = 'loading the search index…';
      await A.loadSearch();
    }
    const rows = A.search(state.q, state);
    if (!document.getElementById('results')) return; // navigated away meanwhile
    status.innerHTML = `<span id="count">${fmt(rows.length)}</span> results · ${A.timings.searchMs.toFixed(1)} ms`;
    const shown = rows.slice(0, 100);
    document.getElementById('results').innerHTML = shown.map((row) => `<li>${rowLink(row)}
      <div class="meta"><span class="tag${I.kind[row] === REMOVED ? ' removed' : ''}">${esc(kindName(row))}</span>
      ${esc(vocab('sources', I.source[row]) || '')} · ${day(I.date[row])} ${I.reason[row] >= 0 ? '· ' + esc(vocab('reasons', I.reason[row])) : ''}</div></li>`).join('')
      + (rows.length > shown.length ? `<li class="muted">… ${fmt(rows.length - shown.length)} more (narrow the filters)</li>` : '');
  }

  // ------------------------------------------------------------------ one row
  function kv(pairs) {
    return '<dl class="kv">' + pairs.filter((p) => p[1] != null && p[1] !== '').map(([k, v]) =>
      `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('') + '</dl>';
  }

  function signalTable(row, extra) {
    const q = M.thresholds.quality || {};
    const failed = new Set(extra.reasons || []);
    const lines = M.signals.map((s) => {
      const v = I[s.name][row];
      const lo = s.min ? q[s.min] : null, hi = s.max ? q[s.max] : null;
      const bad = v != null && ((lo != null && v < lo) || (hi != null && v > hi));
      const bound = [lo != null ? `≥ ${lo}` : '', hi != null ? `≤ ${hi}` : ''].filter(Boolean).join(' and ') || '—';
      return `<tr><td>${s.name}</td><td class="n ${bad ? 'fail' : ''}">${v ?? '—'}</td><td class="n">${bound}</td>
        <td>${v == null ? '' : bad ? '<span class="fail">fails</span>' : '<span class="ok">passes</span>'}</td></tr>`;
    });
    const lang = vocab('langs', I.lang[row]);
    if (lang) {
      const langs = q.languages || [];
      const ok = langs.includes(lang);
      lines.push(`<tr><td>lang</td><td class="n ${ok ? '' : 'fail'}">${esc(lang)}</td><td class="n">in ${esc(langs.join(', '))}</td>
        <td>${ok ? '<span class="ok">passes</span>' : '<span class="fail">fails</span>'}</td></tr>`);
    }
    const named = [...failed].filter((r) => r.startsWith('quality:'));
    return `<h2>Quality signals against the thresholds <span class="muted">(from ${esc(M.thresholds.from)})</span></h2>
      ${named.length ? `<p>Failed rules: ${named.map(esc).join(', ')}</p>` : ''}
      <table><tr><th>signal</th><th class="n">value</th><th class="n">threshold</th><th></th></tr>${lines.join('')}</table>`;
  }

  /** Word-level diff (LCS on words, common head and tail trimmed first). */
  function wordDiff(a, b) {
    const wa = a.split(/(\s+)/), wb = b.split(/(\s+)/);
    let head = 0;
    while (head < wa.length && head < wb.length && wa[head] === wb[head]) head++;
    let tail = 0;
    while (tail < wa.length - head && tail < wb.length - head && wa[wa.length - 1 - tail] === wb[wb.length - 1 - tail]) tail++;
    const x = wa.slice(head, wa.length - tail), y = wb.slice(head, wb.length - tail);
    const n = x.length, m = y.length;
    const keepA = new Uint8Array(n), keepB = new Uint8Array(m);
    if (n * m <= 4e6) {
      const L = new Uint32Array((n + 1) * (m + 1));
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          L[i * (m + 1) + j] = x[i] === y[j] ? L[(i + 1) * (m + 1) + j + 1] + 1
            : Math.max(L[(i + 1) * (m + 1) + j], L[i * (m + 1) + j + 1]);
        }
      }
      let i = 0, j = 0;
      while (i < n && j < m) {
        if (x[i] === y[j]) { keepA[i++] = 1; keepB[j++] = 1; } else if (L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1]) i++; else j++;
      }
    } else { // too long for a full table: mark words absent from the other side
      const sa = new Set(x), sb = new Set(y);
      x.forEach((w, i) => { keepA[i] = sb.has(w) ? 1 : 0; });
      y.forEach((w, j) => { keepB[j] = sa.has(w) ? 1 : 0; });
    }
    const render = (words, keep, tagName) => words.map((w, i) => (keep[i] || !w.trim() ? esc(w)
      : `<${tagName}>${esc(w)}</${tagName}>`)).join('');
    const pre = esc(wa.slice(0, head).join('')), post = esc(wa.slice(wa.length - tail).join(''));
    return [pre + render(x, keepA, 'del') + post, pre + render(y, keepB, 'ins') + post,
      x.filter((w, i) => w.trim() && !keepA[i]).length + y.filter((w, j) => w.trim() && !keepB[j]).length];
  }

  async function renderRow(row) {
    const [text, extra] = await rowData(row);
    const removed = I.kind[row] === REMOVED;
    const reason = vocab('reasons', I.reason[row]);
    const file = vocab('files', I.raw_file[row]);
    let html = `<h2>${esc(I.title[row] || '(بلا عنوان · no title)')}</h2>
      <p><span class="tag${removed ? ' removed' : ''}">${esc(kindName(row))}</span> ${reason ? esc(reason) : ''}</p>`;
    html += kv([
      ['id', `<span class="ltr">${esc(I.id[row])}</span>`],
      ['source', esc(vocab('sources', I.source[row]))],
      ['category', esc(vocab('categories', I.category[row]))],
      ['published', esc(extra.published || '')],
      ['date obtained from', esc(vocab('published_from', I.published_from[row]) || (extra.published ? '' : 'no date found'))],
      ['crawled', esc(extra.crawled || '')],
      ['url', extra.url ? `<span class="ltr">${esc(extra.url)}</span>` : ''],
      ['author', esc(extra.author || '')],
      ['dateline', esc(extra.dateline || '')],
      ['tags', esc((extra.tags || []).join('، '))],
      ['related titles', esc((extra.related_titles || []).join(' · '))],
      ['cut from host page', extra.host_id ? `<span class="ltr">${esc(extra.host_id)}</span>` : ''],
      ['cluster / story', esc([extra.cluster_id, extra.story_id].filter(Boolean).join(' / '))],
    ]);
    html += '<h2>Provenance</h2>' + kv([
      ['raw file', `<span class="ltr">${esc(file)}</span>`],
      ['raw record', fmt(I.raw_record[row])],
      ['raw sha256', `<span class="ltr">${esc(extra.raw_sha256 || M.file_sha256[I.raw_file[row]] || '')}</span>`],
      ['encoding / format', esc([extra.raw_encoding, extra.raw_format].filter(Boolean).join(' / '))],
    ]);
    if (removed) {
      html += '<h2>Why removed</h2>' + kv([
        ['stage', esc(extra.stage || '')], ['reason', esc(reason)],
        ['every reason', esc((extra.reasons || []).join(', '))],
        ['detail', esc(I.detail[row] || '')],
        ['duplicate of', extra.duplicate_of ? `<span class="ltr">${esc(extra.duplicate_of)}</span>` : ''],
      ]);
      if (extra.raw_excerpt) html += `<h3>Raw excerpt</h3><pre class="raw" dir="auto">${esc(extra.raw_excerpt)}</pre>`;
    }
    if (removed && reason && reason.startsWith('quality:') || !removed) html += signalTable(row, extra);
    if (removed && I.dup[row] >= 0) {
      const kept = I.dup[row];
      const [keptText] = await rowData(kept);
      const [a, b, nDiff] = wordDiff(text, keptText);
      html += `<h2>Removed copy beside the kept one <span class="muted">(${nDiff} differing words marked)</span></h2>
        <div class="side" id="side-by-side">
          <div><h3>removed: ${esc(I.title[row] || '')}</h3><div class="text removed-text">${a}</div></div>
          <div><h3>kept: ${rowLink(kept)} <span class="tag">${esc(kindName(kept))}</span></h3><div class="text kept-text">${b}</div></div>
        </div>`;
    } else {
      html += `<h2>Text</h2><div class="text" id="text">${esc(text)}</div>`;
    }
    view().innerHTML = html;
  }

  // ------------------------------------------------------------------ removed
  function renderRemoved(reason) {
    const counts = countBy('reason', (r) => I.kind[r] === REMOVED);
    const ri = reason ? M.vocabs.reasons.indexOf(reason) : -1;
    const opts = '<option value="">all reasons</option>' + M.vocabs.reasons.map((r, i) =>
      `<option value="${esc(r)}"${i === ri ? ' selected' : ''}>${esc(r)} (${fmt(counts.get(i) || 0)})</option>`).join('');
    const rows = [];
    for (let row = 0; row < M.rows; row++) if (I.kind[row] === REMOVED && (ri < 0 || I.reason[row] === ri)) rows.push(row);
    const items = rows.slice(0, 300).map((row) => `<li>${rowLink(row)}
      <div class="meta"><span class="tag removed">${esc(vocab('reasons', I.reason[row]))}</span>
      ${esc(vocab('sources', I.source[row]) || '')} · <span class="ltr">${esc(vocab('files', I.raw_file[row]))}#${I.raw_record[row]}</span></div>
      <div class="meta" dir="auto">${esc(I.detail[row] || '')}</div></li>`).join('');
    view().innerHTML = `<form class="filters" onsubmit="return false"><label>reason<select id="reason">${opts}</select></label></form>
      <p class="muted"><span id="count">${fmt(rows.length)}</span> removed records${rows.length > 300 ? ' (first 300 shown)' : ''}</p>
      <ul class="results">${items}</ul>`;
    document.getElementById('reason').addEventListener('change', (e) => {
      location.hash = e.target.value ? '#removed/' + encodeURIComponent(e.target.value) : '#removed';
    });
  }

  // ------------------------------------------------------------------ signals
  function histogram(s) {
    const vals = I[s.name], q = M.thresholds.quality || {};
    const tf = s.log ? (v) => Math.log10(v + 1) : (v) => v;
    const keptV = [], remV = [];
    for (let row = 0; row < M.rows; row++) {
      const v = vals[row];
      if (v == null) continue;
      if (I.kind[row] !== REMOVED) keptV.push(tf(v));
      else if ((vocab('reasons', I.reason[row]) || '').startsWith('quality:')) remV.push(tf(v));
    }
    const all = keptV.concat(remV).sort((a, b) => a - b);
    if (!all.length) return `<p class="muted">${s.name}: no values</p>`;
    const bounds = [s.min ? q[s.min] : null, s.max ? q[s.max] : null];
    let lo = all[0], hi = all[Math.min(all.length - 1, Math.floor(all.length * 0.995))];
    for (const b of bounds) if (b != null && b <= hi * 1.5 + 1) { lo = Math.min(lo, tf(b)); hi = Math.max(hi, tf(b)); }
    if (hi <= lo) hi = lo + 1;
    const nb = 40, W = 560, H = 150, pad = 24;
    const bin = (v) => Math.max(0, Math.min(nb - 1, Math.floor((v - lo) / (hi - lo) * nb)));
    const kc = new Array(nb).fill(0), rc = new Array(nb).fill(0);
    keptV.forEach((v) => kc[bin(v)]++);
    remV.forEach((v) => rc[bin(v)]++);
    const top = Math.max(1, ...kc.map((k, i) => k + rc[i]));
    const bw = (W - 2 * pad) / nb, y = (c) => (H - pad) * c / top;
    let bars = '';
    for (let i = 0; i < nb; i++) {
      const x = pad + i * bw;
      bars += `<rect x="${x}" y="${H - pad - y(kc[i])}" width="${bw - 1}" height="${y(kc[i])}" fill="var(--kept)"/>`;
      bars += `<rect x="${x}" y="${H - pad - y(kc[i]) - y(rc[i])}" width="${bw - 1}" height="${y(rc[i])}" fill="var(--removed)"/>`;
    }
    const X = (v) => pad + (tf(v) - lo) / (hi - lo) * (W - 2 * pad);
    const inv = (t) => (s.log ? Math.pow(10, t) - 1 : t);
    let lines = '';
    bounds.forEach((b, k) => {
      if (b == null) return;
      const x = Math.max(pad, Math.min(W - pad, X(b)));
      lines += `<line class="threshold" x1="${x}" x2="${x}" y1="4" y2="${H - pad}" stroke="#000" stroke-dasharray="4 3"/>
        <text x="${x > W / 2 ? x - 3 : x + 3}" y="14" text-anchor="${x > W / 2 ? 'end' : 'start'}">${k ? 'max' : 'min'} ${b}</text>`;
    });
    const axis = `<text x="${pad}" y="${H - 6}">${+inv(lo).toFixed(2)}</text><text x="${W - pad}" y="${H - 6}" text-anchor="end">${+inv(hi).toFixed(2)}${s.log ? ' (log scale)' : ''}</text>`;
    return `<h3>${s.name}</h3><svg class="hist" data-signal="${s.name}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${bars}${lines}${axis}</svg>
      <div class="meta">${fmt(keptV.length)} kept, ${fmt(remV.length)} removed by a quality rule; top bin ${fmt(top)}</div>`;
  }

  function renderSignals() {
    view().innerHTML = `<h2>توزيع إشارات الجودة · Quality signals</h2>
      <p class="legend" dir="ltr"><span><i style="background:var(--kept)"></i>kept</span><span><i style="background:var(--removed)"></i>removed by a quality rule</span>
      <span>dashed line: threshold (from ${esc(M.thresholds.from)})</span></p>
      ${M.signals.map(histogram).join('')}`;
  }

  // ------------------------------------------------------------------ changes
  function renderChanges() {
    const c = A.changeReport;
    if (!c) { view().innerHTML = '<p>No comparison: run <code>akhbar explore OUT --compare OTHER</code>.</p>'; return; }
    const byId = new Map(); // kept rows win over removed ones of the same id
    for (let row = M.rows - 1; row >= 0; row--) if (I.id[row] != null) byId.set(I.id[row], row);
    const link = (id, title) => (byId.has(id) ? rowLink(byId.get(id)) : esc(title || id));
    const t = c.totals;
    const table = (head, rows) => `<table><tr>${head.map((h, i) => `<th${i ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr>${
      rows.map((r) => `<tr>${r.map((v, i) => `<td${i ? ' class="n"' : ''}>${esc(v)}</td>`).join('')}</tr>`).join('')}</table>`;
    const group = (g) => table(['', 'added', 'removed', 'moved', 'changed'], Object.entries(g).map(([k, v]) => [k, v.added, v.removed, v.moved, v.changed]));
    const list = (items, fn) => `<ul class="results">${items.slice(0, 200).map((r) => `<li>${fn(r)}</li>`).join('')}</ul>${items.length > 200 ? `<p class="muted">… ${items.length - 200} more in the JSON report</p>` : ''}`;
    view().innerHTML = `<h2>التغييرات · Changes from <span class="ltr">${esc(c.a)}</span> to this build</h2>
      <p id="change-totals">${fmt(t.a)} → ${fmt(t.b)} articles: <b>+${fmt(t.added)}</b> added, <b>-${fmt(t.removed)}</b> removed,
      <b>${fmt(t.moved)}</b> moved between splits, <b>${fmt(t.changed)}</b> with changed text, ${fmt(t.unchanged)} unchanged.</p>
      <h2>Per split</h2>${table(['split', 'before', 'after', 'added', 'removed', 'moved in', 'moved out', 'changed'],
        c.splits.map((r) => [r.split, r.a, r.b, r.added, r.removed, r.moved_in, r.moved_out, r.changed]))}
      <h2>Per source</h2>${group(c.by_source)}<h2>Per category</h2>${group(c.by_category)}
      <h2>Rejected records per reason</h2>${table(['reason', 'before', 'after', 'change'], Object.entries(c.rejected).map(([k, v]) => [k, v.a, v.b, (v.delta > 0 ? '+' : '') + v.delta]))}
      <h2>Added (${fmt(c.added.length)})</h2>${list(c.added, (r) => `${link(r.id, r.title)} <span class="meta">${esc(r.split)} · before: ${esc(r.was)}</span>`)}
      <h2>Removed (${fmt(c.removed.length)})</h2>${list(c.removed, (r) => `${link(r.id, r.title)} <span class="meta">${esc(r.split)} · now: ${esc(r.reason)}</span>`)}
      <h2>Moved (${fmt(c.moved.length)})</h2>${list(c.moved, (r) => `${link(r.id, r.title)} <span class="meta">${esc(r.from)} → ${esc(r.to)}</span>`)}
      <h2>Text changed (${fmt(c.changed.length)})</h2>${list(c.changed, (r) => `${link(r.id_b, r.title)} <span class="meta ltr">${esc(r.raw_file)}#${r.raw_record}</span>`)}`;
  }

  // ------------------------------------------------------------------ routing
  async function route() {
    const [name, arg] = (location.hash.slice(1) || 'overview').split('/');
    document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === name || (name === 'row' && a.dataset.view === 'articles')));
    try {
      if (name === 'articles') renderArticles();
      else if (name === 'row') await renderRow(Number(arg));
      else if (name === 'removed') renderRemoved(arg ? decodeURIComponent(arg) : '');
      else if (name === 'signals') renderSignals();
      else if (name === 'changes') renderChanges();
      else renderOverview();
      window.scrollTo(0, 0);
    } catch (err) {
      view().innerHTML = `<p class="fail">${esc(err.message)}</p>`;
      throw err;
    }
  }

  A.start = function () {
    M = A.meta;
    I = A.index;
    if (!M) { view().textContent = 'data/index.js is missing: run `akhbar explore OUT` again.'; return; }
    document.getElementById('ds-name').textContent = M.name;
    window.addEventListener('hashchange', route);
    const first = route();
    requestAnimationFrame(() => { A.timings.firstPaintMs = performance.now(); });
    if (M.compare) {
      document.getElementById('nav-changes').hidden = false;
      loadScript('data/changes.js').then(() => { if (location.hash === '#changes') route(); });
    }
    return first;
  };
})();
