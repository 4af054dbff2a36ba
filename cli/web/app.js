// efi console: a hash-routed page set over efi server's JSON API (/api/...).
// Plain browser JavaScript, no build step, no dependencies: it must work offline.

const app = document.getElementById('app');
const params = new URLSearchParams(location.search);
if (params.get('token')) sessionStorage.setItem('efi-token', params.get('token'));
const token = sessionStorage.getItem('efi-token');
let timer = null;

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.method === 'POST') headers['x-efi-client'] = 'console';
  const res = await fetch(path, { ...init, headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.message || `HTTP ${res.status}`);
  return body;
}

const esc = (v) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const status = (s) => `<span class="status ${esc(s)}" data-status="${esc(s)}">${esc(s)}</span>`;
const when = (t) => (t ? esc(t.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '');
function dur(ms) {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
const json = (v) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
const fileName = (k) => (k ? k.split('/').pop() : '');

function route() {
  clearInterval(timer);
  const [, page, id] = location.hash.match(/^#\/([^/?]*)\/?([^?]*)/) || [null, 'runs', ''];
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === page);
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const show = page === 'runs' && id ? runPage(decodeURIComponent(id)) : page === 'feeds' ? feedsPage() : runsPage(q);
  show.catch((e) => {
    app.innerHTML = `<div class="error-box">${esc(e.message)}</div>`;
  });
}
window.addEventListener('hashchange', route);
api('/api/health')
  .then((h) => {
    document.getElementById('home').textContent = h.deployed
      ? `deployed ${h.deployed.stateMachineArn} · feeds from EFI_HOME ${h.home} · pid ${h.pid}`
      : `EFI_HOME ${h.home} · pid ${h.pid}`;
  })
  .catch(() => {});
route();

// ------------------------------------------------------------------ executions list

async function runsPage(q) {
  const feeds = (await api('/api/feeds')).feeds;
  const f = {
    feed: q.get('feed') || '',
    status: q.get('status') || '',
    since: q.get('since') || '',
    until: q.get('until') || '',
    file: q.get('file') || '',
    offset: Number(q.get('offset') || 0),
  };
  const limit = 25;
  app.innerHTML = `
    <h1>Executions</h1>
    <form class="card filters" id="filters">
      <label>Feed<select name="feed"><option value="">all</option>${feeds
        .map((x) => `<option ${x.id === f.feed ? 'selected' : ''}>${esc(x.id)}</option>`)
        .join('')}</select></label>
      <label>Status<select name="status"><option value="">all</option>${[
        'RUNNING',
        'FINISHED',
        'FAILED',
        'ABORTED',
        'SKIPPED',
        'TIMED_OUT',
      ]
        .map((s) => `<option ${s === f.status ? 'selected' : ''}>${s}</option>`)
        .join('')}</select></label>
      <label>From<input type="date" name="since" value="${esc(f.since)}"></label>
      <label>To<input type="date" name="until" value="${esc(f.until)}"></label>
      <label>File name<input type="search" name="file" placeholder="part of the name" value="${esc(f.file)}"></label>
      <button type="submit">Apply</button>
      <label class="dim"><span><input type="checkbox" id="live" checked> live</span></label>
    </form>
    <div id="list"><p class="dim">loading…</p></div>`;
  document.getElementById('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const next = new URLSearchParams();
    for (const [k, v] of data) if (v) next.set(k, v);
    location.hash = `#/runs?${next}`;
  });
  const draw = async () => {
    const qs = new URLSearchParams({ limit: String(limit), offset: String(f.offset) });
    for (const k of ['feed', 'status', 'since', 'until', 'file']) if (f[k]) qs.set(k, f[k]);
    const { runs, total } = await api(`/api/runs?${qs}`);
    const page = (o) => {
      const n = new URLSearchParams(q);
      n.set('offset', String(o));
      return `#/runs?${n}`;
    };
    document.getElementById('list').innerHTML = `
      <table id="runs">
        <thead><tr><th>Run</th><th>Status</th><th>Feed</th><th>File</th><th>Rows</th><th>Started (UTC)</th><th>Duration</th><th>Error</th></tr></thead>
        <tbody>${
          runs
            .map(
              (r) => `<tr data-run="${esc(r.runId)}">
          <td><a href="#/runs/${encodeURIComponent(r.runId)}">${esc(r.runId)}</a>${r.redriveCount ? ` <span class="dim">↻${r.redriveCount}</span>` : ''}</td>
          <td>${status(r.status)}</td><td>${esc(r.feed || '')}</td>
          <td title="${esc(r.file)}">${esc(fileName(r.file))}</td>
          <td class="num">${esc(r.rowsShown)}</td><td>${when(r.startedAt)}</td><td class="num">${dur(r.durationMs)}</td>
          <td class="err" title="${esc(r.error?.message)}">${r.error ? `${esc(r.error.name)}${r.error.state ? ` at ${esc(r.error.state)}` : ''}: ${esc(r.error.message)}` : ''}</td></tr>`,
            )
            .join('') || '<tr><td colspan="8" class="dim">no runs match: ingest a file with efi ingest FILE</td></tr>'
        }</tbody>
      </table>
      <div class="pager">
        ${f.offset > 0 ? `<a href="${page(Math.max(0, f.offset - limit))}">← newer</a>` : ''}
        <span class="dim">${total ? `${f.offset + 1}–${Math.min(total, f.offset + limit)} of ${total}` : ''}</span>
        ${f.offset + limit < total ? `<a href="${page(f.offset + limit)}">older →</a>` : ''}
      </div>`;
  };
  await draw();
  // Live updates: poll while the box is ticked (runs progress state by state).
  timer = setInterval(() => {
    if (document.getElementById('live')?.checked) draw().catch(() => {});
  }, 2000);
}

// ------------------------------------------------------------------ one execution

let selected = null;

async function runPage(id) {
  const [def, first] = await Promise.all([api('/api/definition'), api(`/api/runs/${encodeURIComponent(id)}`)]);
  selected = null;
  const draw = (v) => {
    const d = v.detail;
    const run = v.run || {};
    const err = d.error;
    const lastVisit = new Map();
    for (const x of v.visits) lastVisit.set(x.state, x);
    const failedVisit = [...v.visits].reverse().find((x) => x.status === 'FAILED' || x.status === 'CAUGHT');
    if (!selected) selected = run.error?.state || failedVisit?.state || null;
    const loc = v.location;
    app.innerHTML = `
      <p><a href="#/runs">← Executions</a></p>
      <h1>Run ${esc(d.runId)} ${status(d.status || d.executionStatus)} <span class="dim" style="font-size:13px">execution ${esc(d.executionStatus)}${d.redriveCount ? `, redriven ${d.redriveCount}×` : ''}</span></h1>
      <div class="card">
        <dl class="kv">
          <dt>Feed</dt><dd>${esc(run.configId || '—')} ${run.interface ? `<span class="dim">(${esc(run.interface)})</span>` : ''}</dd>
          <dt>File</dt><dd>${esc(run.key || '—')}</dd>
          <dt>File is now</dt><dd id="location">${
            loc.uri
              ? `${esc(loc.uri)} <span class="dim">(${esc(loc.where)}${loc.size !== null ? `, ${loc.size} bytes` : ''})</span>${
                  loc.key
                    ? ` · <a href="/api/object?key=${encodeURIComponent(loc.key)}${token ? `&token=${encodeURIComponent(token)}` : ''}" download>download</a>`
                    : ''
                }`
              : '<span class="dim">not in the object store any more</span>'
          }</dd>
          <dt>Rows</dt><dd id="rows">${esc(v.rowsShown ?? '—')}</dd>
          <dt>Started</dt><dd>${when(d.startedAt)}${d.stoppedAt ? ` · stopped ${when(d.stoppedAt)}` : ''}</dd>
        </dl>
        ${
          err
            ? `<div class="error-box" id="run-error"><span class="where">${esc(err.name)}${run.error?.state ? ` at ${esc(run.error.state)}` : ''}${v.errorPlace ? ` · ${esc(v.errorPlace)}` : ''}</span><br>${esc(err.message)}
               ${v.offendingRecord !== null ? `<div class="dim">line ${err.line}:</div><pre id="offending">${esc(v.offendingRecord)}</pre>` : ''}</div>`
            : ''
        }
        <div id="redrive">${
          v.redrive.ok
            ? `<button class="primary" id="redrive-btn">Redrive</button> <span class="dim">${esc(v.redrive.reason)}, once the cause is fixed</span>`
            : d.executionStatus === 'SUCCEEDED'
              ? ''
              : `<span class="dim">No redrive: ${esc(v.redrive.reason)}</span>`
        }</div>
      </div>
      <div class="grid2">
        <div class="card">
          <h2 style="margin-top:0">Graph <span class="dim" style="font-size:12px">statemachine/efi.asl.json</span></h2>
          <div class="legend"><span><i style="background:var(--ok-bg);border-color:var(--ok)"></i>succeeded</span><span><i style="background:var(--bad-bg);border-color:var(--bad)"></i>failed</span><span><i style="background:var(--warn-bg);border-color:var(--warn)"></i>caught → rejection path</span><span><i style="background:var(--run-bg);border-color:var(--run)"></i>running</span><span><i style="background:var(--idle)"></i>not run</span></div>
          ${graph(def, lastVisit, v.transitions, v.visits)}
        </div>
        <div class="card" id="state-panel">${statePanel(v)}</div>
      </div>
      <h2>Event history</h2>
      <table id="events"><thead><tr><th>#</th><th>Type</th><th>State</th><th>Attempt</th><th>Time (UTC)</th><th>Error</th></tr></thead>
      <tbody>${v.events
        .map(
          (e) =>
            `<tr><td class="num">${e.seq}</td><td>${esc(e.type)}</td><td>${esc(e.state || '')}</td><td>${e.redriveCount ? `redrive ${e.redriveCount}` : ''}</td><td>${when(e.at)}</td><td class="err" title="${esc(e.cause)}">${esc(e.error || '')}${e.cause ? `: ${esc(e.cause)}` : ''}</td></tr>`,
        )
        .join('')}</tbody></table>`;
    for (const n of app.querySelectorAll('svg .node')) {
      n.addEventListener('click', () => {
        selected = n.dataset.state;
        for (const m of app.querySelectorAll('svg .node')) m.classList.toggle('selected', m === n);
        document.getElementById('state-panel').innerHTML = statePanel(v);
      });
    }
    const btn = document.getElementById('redrive-btn');
    btn?.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api(`/api/runs/${encodeURIComponent(d.runId)}/redrive`, { method: 'POST' });
        refresh();
      } catch (e) {
        document.getElementById('redrive').innerHTML = `<div class="error-box">${esc(e.message)}</div>`;
      }
    });
    return d.executionStatus === 'RUNNING';
  };
  const refresh = async () => {
    clearInterval(timer);
    const v = await api(`/api/runs/${encodeURIComponent(id)}`);
    if (draw(v)) timer = setInterval(() => refresh().catch(() => {}), 1000);
  };
  if (draw(first)) timer = setInterval(() => refresh().catch(() => {}), 1000);
}

function statePanel(v) {
  if (!selected) return '<p class="dim">Click a state in the graph to see its input, output and error.</p>';
  const visits = v.visits.filter((x) => x.state === selected);
  if (!visits.length)
    return `<h2 style="margin-top:0">${esc(selected)}</h2><p class="dim">Not run in this execution.</p>`;
  return `<h2 style="margin-top:0" id="state-name">${esc(selected)}</h2>${visits
    .map(
      (x, i) => `<div class="visit">
      <p>${status(x.status)} ${x.redriveCount ? `<b>redrive ${x.redriveCount}</b> · ` : ''}${visits.length > 1 ? `visit ${i + 1} of ${visits.length} · ` : ''}${dur(x.durationMs)}${x.retries ? ` · ${x.retries} retr${x.retries === 1 ? 'y' : 'ies'}` : ''} <span class="dim">${when(x.enteredAt)}</span></p>
      ${x.error ? `<div class="error-box state-error"><b>${esc(x.error)}</b><br>${esc(x.cause || '')}</div>` : ''}
      <details ${x.error ? '' : 'open'}><summary>Input</summary>${json(x.input)}</details>
      ${x.output !== null && x.output !== undefined ? `<details><summary>Output</summary>${json(x.output)}</details>` : ''}
    </div>`,
    )
    .join('<hr>')}`;
}

/**
 * The state machine as an SVG: layers by longest path from StartAt (loops
 * such as CheckLoad → LoadDone → WaitForLoad are drawn as back edges), states
 * coloured by their last visit in this run, the transitions taken in bold.
 */
function graph(def, lastVisit, transitions, visits) {
  const states = def.States;
  const edges = [];
  for (const [name, s] of Object.entries(states)) {
    const add = (to, kind) => to && edges.push({ from: name, to, kind });
    add(s.Next, 'next');
    add(s.Default, 'next');
    for (const c of s.Choices || []) add(c.Next, 'next');
    for (const c of s.Catch || []) add(c.Next, 'catch');
  }
  // Back edges by DFS from StartAt.
  const onStack = new Set();
  const seen = new Set();
  const order = [];
  const dfs = (n) => {
    seen.add(n);
    onStack.add(n);
    order.push(n);
    for (const e of edges.filter((x) => x.from === n)) {
      if (onStack.has(e.to)) e.back = true;
      else if (!seen.has(e.to)) dfs(e.to);
    }
    onStack.delete(n);
  };
  dfs(def.StartAt);
  for (const n of Object.keys(states)) if (!seen.has(n)) dfs(n);
  const layer = new Map(order.map((n) => [n, 0]));
  for (let i = 0; i < order.length; i++) {
    let changed = false;
    for (const e of edges) {
      if (e.back) continue;
      const want = layer.get(e.from) + 1;
      if (layer.get(e.to) < want) {
        layer.set(e.to, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers = [];
  for (const n of order) {
    const i = layer.get(n);
    if (!layers[i]) layers[i] = [];
    layers[i].push(n);
  }
  const W = 150;
  const H = 30;
  const GX = 26;
  const GY = 26;
  const maxPer = Math.max(...layers.map((l) => l.length));
  const width = maxPer * (W + GX) + GX + 40;
  const pos = new Map();
  layers.forEach((l, i) => {
    const rowWidth = l.length * (W + GX) - GX;
    l.forEach((n, j) => {
      pos.set(n, { x: (width - 40 - rowWidth) / 2 + j * (W + GX), y: GY + i * (H + GY) });
    });
  });
  const height = GY + layers.length * (H + GY);
  const taken = new Set(transitions.map(([a, b]) => `${a}>${b}`));
  const paths = edges
    .map((e) => {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      const cls = `edge ${e.kind === 'catch' ? 'catch' : ''} ${taken.has(`${e.from}>${e.to}`) ? 'taken' : ''}`;
      if (e.back) {
        const x = Math.max(a.x, b.x) + W;
        const bend = x + 30;
        return `<path class="${cls}" d="M${a.x + W} ${a.y + H / 2} C${bend} ${a.y + H / 2}, ${bend} ${b.y + H / 2}, ${b.x + W} ${b.y + H / 2}" marker-end="url(#arrow)"/>`;
      }
      const x1 = a.x + W / 2;
      const y1 = a.y + H;
      const x2 = b.x + W / 2;
      const y2 = b.y;
      const my = (y1 + y2) / 2;
      return `<path class="${cls}" d="M${x1} ${y1} C${x1} ${my}, ${x2} ${my}, ${x2} ${y2}" marker-end="url(#arrow)"/>`;
    })
    .join('');
  const count = (n) => visits.filter((v) => v.state === n).length;
  const nodes = Object.keys(states)
    .map((n) => {
      const p = pos.get(n);
      const v = lastVisit.get(n);
      const st = v ? v.status : 'NOT_RUN';
      const c = count(n);
      const badge = [
        v?.redriveCount ? `redrive ${v.redriveCount}` : '',
        c > 1 ? `×${c}` : '',
        v?.retries ? `↻${v.retries}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return `<g class="node ${st}${n === selected ? ' selected' : ''}" data-state="${esc(n)}" data-status="${st}" transform="translate(${p.x},${p.y})">
        <title>${esc(n)} (${esc(states[n].Type)}): ${st}</title>
        <rect width="${W}" height="${H}"></rect>
        <text x="8" y="19">${esc(n)}</text>
        ${badge ? `<text class="badge" x="${W - 4}" y="10" text-anchor="end">${esc(badge)}</text>` : ''}
      </g>`;
    })
    .join('');
  return `<svg class="graph" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#879596"/></marker></defs>
    ${paths}${nodes}</svg>`;
}

// ------------------------------------------------------------------ feeds

/** A day's rows: the known sum, plus `?` for finished runs whose count is not known (never read as 0). */
const dayRows = (d) => (d.unknownRuns ? `${d.rows} + ? (${d.unknownRuns} run(s) uncounted)` : String(d.rows));

async function feedsPage() {
  const { feeds } = await api('/api/feeds');
  app.innerHTML = `<h1>Feeds</h1>${
    feeds.length
      ? feeds
          .map((f) => {
            const max = Math.max(1, ...f.rowsPerDay.map((d) => d.rows));
            return `<div class="card feed" data-feed="${esc(f.id)}">
        <h2 style="margin-top:0">${esc(f.id)} <span class="dim" style="font-size:12px">${esc(f.interface)} · version ${f.version}${f.active ? '' : ' · inactive'}</span></h2>
        <dl class="kv">
          <dt>Match</dt><dd><code>${esc(f.match.kind)}: ${esc(f.match.pattern)}</code></dd>
          <dt>Last file</dt><dd>${f.lastFile ? `<a href="#/runs/${encodeURIComponent(f.lastRunId)}">${esc(fileName(f.lastFile))}</a> ${status(f.lastStatus)} <span class="dim">${when(f.lastAt)}</span>` : '<span class="dim">none yet</span>'}</dd>
          <dt>Last 30 days</dt><dd>${f.runs30d} run(s), ${f.failed30d} failed${f.failureRate !== null ? ` (${Math.round(f.failureRate * 100)}% failure rate)` : ''} · <a href="#/runs?feed=${encodeURIComponent(f.id)}">runs</a></dd>
          <dt>Rows per day</dt><dd>${
            f.rowsPerDay.length
              ? `<div class="bars">${f.rowsPerDay.map((d) => `<span title="${esc(d.day)}: ${dayRows(d)} rows" style="height:${Math.round((d.rows / max) * 28)}px"></span>`).join('')}</div><span class="dim">${f.rowsPerDay.map((d) => `${esc(d.day)}: ${dayRows(d)}`).join(' · ')}</span>`
              : '<span class="dim">no finished runs in 14 days</span>'
          }</dd>
        </dl>
        <details><summary>Config (read-only)</summary>${json(f.spec)}</details>
      </div>`;
          })
          .join('')
      : '<p class="dim">No configs yet: efi config apply DIR</p>'
  }`;
}
