// The console: a small client of the public API (the same routes and credentials as any other client). It signs in
// with POST /v1/auth/token and keeps the access token in this module's memory only: no cookie and no storage, so no
// request carries a credential the page did not add itself (a cross-site form cannot act as the user), and a reload
// signs out. Everything is built with DOM calls (no innerHTML), so text from the API is never parsed as markup, and
// there is no inline script or style (the Content-Security-Policy forbids both).

let session = null; // {token, email, expiresAt}
let firstKey = null; // the key shown once after sign-up, until the user dismisses it

// ---- DOM helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Element.append would write null as the text "null": children left out with null go through this instead.
function put(el, ...children) {
  append(el, children);
}

function field(label, input) {
  return [h('label', { for: input.id, text: label }), input];
}

function alertBox() {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

function showError(box, err) {
  box.textContent = err.message || String(err);
  box.hidden = false;
}

function formatBytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return (Number.isInteger(n) ? n : n.toFixed(1)) + ' ' + units[u];
}

function copyButton(getText, label) {
  const status = h('span', { class: 'copied', 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button', class: 'secondary', text: label || 'Copy',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(getText());
        status.textContent = 'Copied';
      } catch (e) {
        status.textContent = 'Select the text and copy it';
      }
    },
  });
  return h('span', {}, button, ' ', status);
}

// ---- the API ----

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || ('HTTP ' + status));
    this.status = status;
    this.code = problem.code;
  }
}

async function call(method, path, body, { auth = true, raw = false } = {}) {
  const headers = {};
  if (auth) {
    if (!session) throw new ApiError(401, { detail: 'Not signed in.' });
    headers.Authorization = 'Bearer ' + session.token;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit', cache: 'no-store',
  });
  if (response.status === 401 && auth) {
    signOut('Your session ended; sign in again.');
    throw new ApiError(401, { detail: 'Signed out.' });
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

async function signIn(email, password) {
  const t = await call('POST', '/v1/auth/token', { email, password }, { auth: false });
  session = { token: t.access_token, email };
  // The tenant and the user's role in it decide which pages the console offers (the API enforces the same roles).
  session.tenant = await call('GET', '/v1/tenant');
}

const ROLES = ['viewer', 'member', 'admin', 'owner'];
function atLeast(role) {
  return session && ROLES.indexOf(session.tenant.role) >= ROLES.indexOf(role);
}

// The configured plans, written into the page by the server (the table the quota verticle enforces).
function plans() {
  const el = document.getElementById('engram-plans');
  return el ? JSON.parse(el.textContent) : {};
}

// Whether billing is on and which plans can be bought, written into the page by the server.
function billingInfo() {
  const el = document.getElementById('engram-billing');
  return el ? JSON.parse(el.textContent) : { enabled: false, plans: [] };
}

function signOut(message) {
  session = null;
  firstKey = null;
  if (location.pathname !== '/console') {
    location.assign('/console');
    return;
  }
  renderSignIn(message);
}

// ---- the landing page's sign-up form ----

const signupForm = document.getElementById('signup-form');
if (signupForm) {
  signupForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = document.getElementById('signup-error');
    error.hidden = true;
    const data = new FormData(signupForm);
    const email = String(data.get('email')).trim();
    const password = String(data.get('password'));
    const button = signupForm.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await call('POST', '/v1/signup',
        { email, password, tenant_name: String(data.get('tenant_name')).trim() }, { auth: false });
      firstKey = created.api_key;
      await signIn(email, password);
      // The console, in this same document (the token lives in this page's memory).
      history.pushState({}, '', '/console#/overview');
      const app = h('div', { id: 'app' });
      document.getElementById('main').replaceChildren(app);
      document.querySelectorAll('header.top a').forEach((a) => {
        if (a.getAttribute('href') === '/console') a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      });
      start();
    } catch (err) {
      showError(error, err);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- the console ----

const appRoot = () => document.getElementById('app');

function start() {
  if (!appRoot()) return;
  window.addEventListener('hashchange', route);
  if (session) route();
  else renderSignIn();
}

function renderSignIn(message) {
  document.title = 'Sign in · Engram Cloud console';
  const email = h('input', { id: 'signin-email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true });
  const error = alertBox();
  const form = h('form', {
    class: 'stack narrow', onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        await signIn(email.value.trim(), password.value);
        if (!location.hash || location.hash === '#') history.replaceState({}, '', '/console#/overview');
        route();
      } catch (err) {
        showError(error, err);
      }
    },
  }, field('Email', email), field('Password', password), h('button', { type: 'submit', text: 'Sign in' }), error);
  appRoot().replaceChildren(h('section', { class: 'signin' },
    h('h1', { text: 'Sign in to the console' }),
    message ? h('p', { class: 'note', role: 'status', text: message }) : null,
    form,
    h('p', {}, 'No account yet? ', h('a', { href: '/#signup', text: 'Sign up' }), '.'),
    acceptInviteForm()));
}

// An invitee joins with the token an admin handed them: POST /v1/invites/accept, then signs in.
function acceptInviteForm() {
  const token = h('input', { id: 'invite-token', type: 'text', required: true, autocomplete: 'off' });
  const email = h('input', { id: 'invite-email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { id: 'invite-password', type: 'password', autocomplete: 'new-password', minlength: 8, required: true });
  const error = alertBox();
  return h('details', { class: 'invite' }, h('summary', { text: 'I have an invite' }),
    h('form', {
      class: 'stack narrow', onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        try {
          await call('POST', '/v1/invites/accept', { token: token.value.trim(), email: email.value.trim(), password: password.value }, { auth: false });
          await signIn(email.value.trim(), password.value);
          history.replaceState({}, '', '/console#/overview');
          route();
        } catch (err) { showError(error, err); }
      },
    }, field('Invite token', token), field('Your email', email),
    field('Password (yours, or a new one of at least 8 characters)', password),
    h('button', { type: 'submit', text: 'Join' }), error));
}

// Each page with the least role that may use it.
const PAGES = [
  ['overview', 'Overview', 'viewer'],
  ['memories', 'Memories', 'viewer'],
  ['keys', 'API keys', 'admin'],
  ['members', 'Members', 'admin'],
  ['audit', 'Audit log', 'admin'],
  ['billing', 'Billing', 'admin'],
  ['backups', 'Backups', 'admin'],
  ['settings', 'Settings', 'owner'],
  ['connect', 'Connect', 'viewer'],
];

function route() {
  if (!session) return renderSignIn();
  const [page, arg] = location.hash.replace(/^#\/?/, '').split('/');
  const offered = PAGES.filter(([, , role]) => atLeast(role));
  const current = offered.some(([p]) => p === page) || page === 'memory' ? page : 'overview';
  const content = h('div', { class: 'content' });
  const nav = h('nav', { class: 'side', 'aria-label': 'Console' },
    h('ul', {}, offered.map(([p, label]) => h('li', {},
      h('a', {
        href: '#/' + p, text: label, 'aria-current': (p === current || (p === 'memories' && current === 'memory')) ? 'page' : null,
        onclick: () => { if (location.hash === '#/' + p) route(); }, // the same page again: fresh figures
      })))),
    h('p', { class: 'who' }, session.email, h('br'), `${session.tenant.role} of ${session.tenant.slug}`),
    h('button', { type: 'button', class: 'secondary', text: 'Sign out', onclick: () => signOut('Signed out.') }));
  appRoot().replaceChildren(h('div', { class: 'console' }, nav, content));
  const pages = {
    overview, memories, memory: (c) => memoryDetail(c, decodeURIComponent(arg || '')), keys, members, audit, billing, backups, settings, connect,
  };
  const title = (PAGES.find(([p]) => p === current) || [null, 'Memory'])[1];
  document.title = title + ' · Engram Cloud console';
  Promise.resolve(pages[current](content)).catch((err) => {
    const box = alertBox();
    put(content, box);
    showError(box, err);
  });
}

function firstKeyPanel() {
  if (!firstKey) return null;
  const key = firstKey;
  const panel = h('section', { class: 'once', 'aria-labelledby': 'first-key-title' },
    h('h2', { id: 'first-key-title', text: 'Your API key' }),
    h('p', { text: 'This is the only time it is shown: copy it now. It has the admin scope; create narrower keys for agents on the API keys page.' }),
    h('p', {}, h('code', { id: 'first-key', text: key }), ' ', copyButton(() => key)),
    h('button', { type: 'button', class: 'secondary', text: 'I have saved it', onclick: () => { firstKey = null; panel.remove(); } }));
  return panel;
}

// ---- overview ----

const SERIES = [
  ['api_calls', 'API calls'],
  ['searches', 'Searches'],
  ['memories_created', 'Memories created'],
];

async function overview(content) {
  const charts = h('div', { class: 'charts' });
  const summary = h('div', { class: 'summary' });
  let days = 30;
  const rangeButtons = [30, 90].map((n) => h('button', {
    type: 'button', class: 'secondary', text: n + ' days', 'aria-pressed': String(n === days),
    onclick: () => { days = n; rangeButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.textContent === n + ' days'))); draw(); },
  }));
  const caps = h('dl', { class: 'caps', id: 'caps' });
  const plan = plans()[session.tenant.plan] || null;
  put(content, h('h1', { text: 'Overview' }), firstKeyPanel(), summary,
    h('section', { 'aria-labelledby': 'plan-title' },
      h('h2', { id: 'plan-title', text: `Plan: ${session.tenant.plan}` }), caps),
    atLeast('admin') ? h('section', { 'aria-labelledby': 'usage-title' },
      h('div', { class: 'row' }, h('h2', { id: 'usage-title', text: 'Usage' }), h('div', { class: 'range', role: 'group', 'aria-label': 'Range' }, rangeButtons)),
      charts) : h('p', { class: 'note', text: 'Usage over time is shown to admins and the owner.' }));

  async function draw() {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    const iso = (d) => d.toISOString().slice(0, 10);
    const usage = await call('GET', `/v1/usage?from=${iso(from)}&to=${iso(to)}`);
    const byDay = new Map(usage.data.map((d) => [d.day, d]));
    const all = [];
    for (let t = from.getTime(); iso(new Date(t)) <= iso(to); t += 86400000) {
      const day = iso(new Date(t));
      all.push(byDay.get(day) || { day, api_calls: 0, searches: 0, memories_created: 0 });
    }
    charts.replaceChildren(...SERIES.map(([key, label]) => chart(label, key, all, usage.totals[key], days)));
  }

  const monthStart = new Date().toISOString().slice(0, 8) + '01';
  const [stats, month] = await Promise.all([
    call('GET', '/v1/stats'),
    atLeast('admin') ? call('GET', `/v1/usage?from=${monthStart}`) : null,
    atLeast('admin') ? draw() : null,
  ]);
  summary.replaceChildren(
    tile('Memories', stats.total_memories.toLocaleString('en')),
    tile('Storage', formatBytes(stats.database_size_bytes)),
    tile('Workspaces', String(Object.keys(stats.by_workspace).length)),
    tile('Members', String(session.tenant.members)));
  if (!plan) return;
  const rows = [
    ['memories', 'Memories', stats.total_memories, plan.memories, String],
    ['storage', 'Storage', stats.database_size_bytes, plan.storage_bytes, formatBytes],
    ['members', 'Members', session.tenant.members, plan.members, String],
  ];
  if (month) {
    rows.push(['searches', 'Searches this month', month.totals.searches, plan.searches_per_month, String]);
    rows.push(['api_calls', 'API calls this month', month.totals.api_calls, plan.api_calls_per_month, String]);
  }
  caps.replaceChildren(...rows.flatMap(([key, label, used, cap, show]) => [
    h('dt', { id: 'cap-' + key, text: label }),
    h('dd', {}, cap === null || cap === undefined
      ? `${show(used)} (unlimited)`
      : [h('meter', { min: 0, max: cap, value: Math.min(used, cap), high: cap * 0.8, 'aria-labelledby': 'cap-' + key, 'data-cap': key }),
        ` ${show(used)} of ${show(cap)}`]),
  ]));
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('span', { class: 'label', text: label }), h('span', { class: 'value', text: value }));
}

// A bar chart in plain SVG: one bar a day, its value in the bar's title (a tooltip), the total in the label.
function chart(label, key, days, total, range) {
  const width = 600, height = 140, pad = 24;
  const max = Math.max(1, ...days.map((d) => d[key]));
  const step = (width - pad) / days.length;
  const bars = days.map((d, i) => {
    const barHeight = Math.round((d[key] / max) * (height - pad));
    return s('rect', {
      x: (pad + i * step + 1).toFixed(1), y: height - pad - barHeight + 4, width: Math.max(1, step - 2).toFixed(1),
      height: barHeight, class: 'bar',
    }, s('title', { text: `${d.day}: ${d[key]}` }));
  });
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'data-series': key, 'data-total': total,
    'aria-label': `${label}: ${total} in the last ${range} days, at most ${max} a day`,
  },
  s('line', { x1: pad, y1: height - pad + 4, x2: width, y2: height - pad + 4, class: 'axis' }),
  s('text', { x: 0, y: 12, class: 'tick', text: String(max) }),
  s('text', { x: 0, y: height - pad + 4, class: 'tick', text: '0' }),
  s('text', { x: pad, y: height - 4, class: 'tick', text: days[0].day }),
  s('text', { x: width, y: height - 4, class: 'tick', 'text-anchor': 'end', text: days[days.length - 1].day }),
  bars);
  return h('figure', { class: 'chart-box' },
    h('figcaption', {}, h('strong', { text: label }), ' ', h('span', { class: 'total', text: total.toLocaleString('en') })), svg);
}

// ---- memories ----

async function memories(content) {
  const error = alertBox();
  const workspace = h('select', { id: 'mem-workspace' }, h('option', { value: '', text: 'All workspaces' }));
  const tag = h('select', { id: 'mem-tag' }, h('option', { value: '', text: 'Any tag' }));
  const list = h('ul', { class: 'memories', id: 'memory-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', text: 'Load more', hidden: true });
  const query = h('input', { id: 'search-query', type: 'search', placeholder: 'What are you looking for?' });
  const strategy = h('select', { id: 'search-strategy' },
    ['', 'auto', 'keyword', 'semantic', 'hybrid'].map((v) => h('option', { value: v, text: v || 'server default' })));
  const explain = h('input', { id: 'search-explain', type: 'checkbox' });
  const heading = h('h2', { id: 'list-title', text: 'Newest memories' });
  const importInput = h('input', { id: 'import-file', type: 'file', accept: 'application/json,.json' });
  const progress = h('progress', { id: 'import-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Import progress' });
  const importStatus = h('p', { id: 'import-status', role: 'status' });
  let cursor = null;

  const newContent = h('textarea', { id: 'new-content', rows: 3, required: true });
  const newTags = h('input', { id: 'new-tags', type: 'text', placeholder: 'comma, separated' });
  const newWorkspace = h('input', { id: 'new-workspace', type: 'text', placeholder: 'default' });

  put(content, h('h1', { text: 'Memories' }), error,
    h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); search(); } },
      field('Search', query), field('Strategy', strategy),
      h('span', { class: 'check' }, explain, h('label', { for: 'search-explain', text: 'Explain scores' })),
      h('button', { type: 'submit', text: 'Search' })),
    h('div', { class: 'toolbar' }, field('Workspace', workspace), field('Tag', tag),
      h('button', { type: 'button', class: 'secondary', text: 'Export', onclick: exportAll }),
      atLeast('member') ? [field('Import a file', importInput), progress] : null),
    importStatus,
    heading, list, more,
    !atLeast('member') ? null : h('details', {}, h('summary', { text: 'New memory' }),
      h('form', {
        class: 'stack', onsubmit: async (e) => {
          e.preventDefault();
          try {
            const body = { content: newContent.value };
            const tags = newTags.value.split(',').map((t) => t.trim()).filter(Boolean);
            if (tags.length) body.tags = tags;
            if (newWorkspace.value.trim()) body.workspace = newWorkspace.value.trim();
            const m = await call('POST', '/v1/memories', body);
            location.hash = '#/memory/' + m.id;
          } catch (err) { showError(error, err); }
        },
      }, field('Content', newContent), field('Tags', newTags), field('Workspace', newWorkspace),
      h('button', { type: 'submit', text: 'Create' }))));

  workspace.addEventListener('change', () => browse(true));
  tag.addEventListener('change', () => browse(true));
  more.addEventListener('click', () => browse(false));
  importInput.addEventListener('change', () => importFile(importInput.files[0]));

  // The tenant's tags (GET /v1/tags counts them over every workspace the credential sees).
  async function loadTags() {
    const tags = await call('GET', '/v1/tags?limit=100');
    const chosen = tag.value;
    tag.replaceChildren(h('option', { value: '', text: 'Any tag' }),
      ...tags.tags.map((t) => h('option', { value: t.name, text: `${t.name} (${t.count})` })));
    tag.value = tags.tags.some((t) => t.name === chosen) ? chosen : '';
  }

  // Only the answer to the latest browse or search is shown (one that overtook an older one wins).
  let latest = 0;

  async function browse(fresh) {
    error.hidden = true;
    const mine = ++latest;
    const params = new URLSearchParams({ limit: '50' });
    if (workspace.value) params.set('workspace', workspace.value);
    if (tag.value) params.set('tags', tag.value);
    if (!fresh && cursor) params.set('cursor', cursor);
    try {
      const page = await call('GET', '/v1/memories?' + params);
      if (mine !== latest) return;
      heading.textContent = 'Newest memories';
      if (fresh) list.replaceChildren();
      list.append(...page.data.map((m) => memoryItem(m)));
      if (fresh && page.data.length === 0) list.append(h('li', { class: 'empty', text: 'No memories here yet.' }));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (err) { showError(error, err); }
  }

  async function search() {
    if (!query.value.trim()) return browse(true);
    error.hidden = true;
    const body = { query: query.value, limit: 50 };
    if (strategy.value) body.strategy = strategy.value;
    if (explain.checked) body.explain = true;
    if (workspace.value) body.workspace = workspace.value;
    if (tag.value) body.tags = [tag.value];
    const mine = ++latest;
    try {
      const r = await call('POST', '/v1/search', body);
      if (mine !== latest) return;
      heading.textContent = `${r.total} found (${r.strategy})` + (r.corrected_query ? `, searched for “${r.corrected_query}”` : '');
      list.replaceChildren(...r.results.map((x) => memoryItem(x.memory, x.score, x.explain)));
      more.hidden = true;
    } catch (err) { showError(error, err); }
  }

  async function exportAll() {
    try {
      const response = await call('GET', '/v1/export', undefined, { raw: true });
      const url = URL.createObjectURL(await response.blob());
      const a = h('a', { href: url, download: 'engram-export.json' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) { showError(error, err); }
  }

  function importFile(file) {
    if (!file) return;
    const data = new FormData();
    data.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/import');
    xhr.setRequestHeader('Authorization', 'Bearer ' + session.token);
    progress.hidden = false;
    progress.value = 0;
    importStatus.textContent = 'Uploading…';
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      progress.value = 100;
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) {
        importStatus.textContent = `Imported ${body.imported}, skipped ${body.skipped}, failed ${body.failed}.`;
        Promise.all([loadWorkspaces(), loadTags(), browse(true)]).catch((err) => showError(error, err));
      } else {
        importStatus.textContent = 'Import refused: ' + (body.detail || xhr.status);
      }
    });
    xhr.addEventListener('error', () => { importStatus.textContent = 'Import failed: the connection broke.'; });
    xhr.send(data);
  }

  async function loadWorkspaces() {
    const chosen = workspace.value;
    const list = await call('GET', '/v1/workspaces?limit=100');
    workspace.replaceChildren(h('option', { value: '', text: 'All workspaces' }),
      ...list.workspaces.map((w) => h('option', { value: w.workspace, text: `${w.workspace} (${w.memory_count})` })));
    workspace.value = chosen;
  }

  await Promise.all([loadWorkspaces(), loadTags(), browse(true)]);
}

function memoryItem(m, score, explain) {
  return h('li', { class: 'memory', 'data-id': m.id },
    h('a', { href: '#/memory/' + m.id, class: 'content-link', text: m.content.length > 200 ? m.content.slice(0, 200) + '…' : m.content }),
    h('div', { class: 'meta' },
      h('span', { class: 'ws', text: m.workspace }),
      m.tags.map((t) => h('span', { class: 'tag', text: t })),
      score !== undefined ? h('span', { class: 'score', text: 'score ' + score.toPrecision(3) }) : null),
    explain ? h('details', { class: 'explain' }, h('summary', { text: 'Why this result' }),
      h('pre', { tabindex: 0, text: JSON.stringify(explain, null, 2) })) : null);
}

async function memoryDetail(content, id) {
  const error = alertBox();
  const m = await call('GET', '/v1/memories/' + encodeURIComponent(id));
  const text = h('textarea', { id: 'edit-content', rows: 6, required: true });
  text.value = m.content;
  const tags = h('input', { id: 'edit-tags', type: 'text' });
  tags.value = m.tags.join(', ');
  const importance = h('input', { id: 'edit-importance', type: 'number', min: 0, max: 1, step: 0.05 });
  importance.value = m.importance;
  const saved = h('p', { role: 'status', class: 'saved' });
  const describe = (x) => `Workspace ${x.workspace} · ${x.memory_type} · ${x.tier} · version ${x.version} · updated ${x.updated_at}`;
  const meta = h('p', { class: 'meta', text: describe(m) });
  const versions = h('ol', { class: 'versions', id: 'versions' });
  const related = h('ul', { class: 'related', id: 'related' });
  put(content, h('p', {}, h('a', { href: '#/memories', text: '← Memories' })),
    h('h1', { text: 'Memory ' + m.id }), error,
    meta,
    !atLeast('member') ? h('pre', { tabindex: 0, class: 'content-view', text: m.content }) : h('form', {
      class: 'stack', onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        try {
          const updated = await call('PATCH', '/v1/memories/' + m.id, {
            content: text.value, tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean),
            importance: Number(importance.value),
          });
          saved.textContent = 'Saved as version ' + updated.version + '.';
          meta.textContent = describe(updated);
          loadVersions();
        } catch (err) { showError(error, err); }
      },
    }, field('Content', text), field('Tags', tags), field('Importance (0 to 1)', importance),
    h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Save' }),
      h('button', {
        type: 'button', class: 'danger', text: 'Delete', onclick: async () => {
          if (!confirm('Delete this memory and its links?')) return;
          try {
            await call('DELETE', '/v1/memories/' + m.id);
            location.hash = '#/memories';
          } catch (err) { showError(error, err); }
        },
      })), saved),
    h('section', { 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title', text: 'Versions' }), versions),
    h('section', { 'aria-labelledby': 'related-title' }, h('h2', { id: 'related-title', text: 'Links' }), related));

  async function loadVersions() {
    const page = await call('GET', `/v1/memories/${m.id}/versions?limit=50`);
    versions.replaceChildren(...page.versions.map((v) => h('li', {},
      h('strong', { text: 'v' + v.version }), ` ${v.created_at}: `, h('span', { text: v.content }))));
    if (page.versions.length === 0) versions.append(h('li', { text: 'Only the current version.' }));
  }
  const links = await call('GET', `/v1/memories/${m.id}/related?limit=100`);
  related.replaceChildren(...links.related.map((l) => {
    const other = l.direction === 'outgoing' ? l.to_id : l.from_id;
    return h('li', {}, `${l.edge_type} (${l.direction}) `, h('a', { href: '#/memory/' + other, text: 'memory ' + other }),
      l.source_context ? ` — ${l.source_context}` : '');
  }));
  if (links.related.length === 0) related.append(h('li', { text: 'No links.' }));
  await loadVersions();
}

// ---- API keys ----

async function keys(content) {
  const error = alertBox();
  const table = h('tbody', { id: 'key-rows' });
  const name = h('input', { id: 'key-name', type: 'text', required: true, maxlength: 100 });
  const scopes = ['memories:read', 'memories:write', 'admin'].map((sc) =>
    h('input', { type: 'checkbox', id: 'scope-' + sc.replace(':', '-'), value: sc, checked: sc !== 'admin' }));
  const workspaces = h('input', { id: 'key-workspaces', type: 'text', placeholder: 'all workspaces' });
  const created = h('div', { id: 'created-key', 'aria-live': 'polite' });
  put(content, h('h1', { text: 'API keys' }), firstKeyPanel(), error, created,
    h('table', { class: 'keys' },
      h('caption', { text: 'Keys of this tenant, oldest first; secrets are never shown again.' }),
      h('thead', {}, h('tr', {}, ['Name', 'Key', 'Scopes', 'Workspaces', 'Created', 'Last used', 'State', ''].map((c) => h('th', { scope: 'col', text: c })))),
      table),
    h('section', { 'aria-labelledby': 'new-key-title' }, h('h2', { id: 'new-key-title', text: 'Create a key' }),
      h('form', {
        class: 'stack', onsubmit: async (e) => {
          e.preventDefault();
          error.hidden = true;
          const body = { name: name.value.trim(), scopes: scopes.filter((c) => c.checked).map((c) => c.value) };
          const ws = workspaces.value.split(',').map((w) => w.trim()).filter(Boolean);
          if (ws.length) body.workspaces = ws;
          try {
            const k = await call('POST', '/v1/api-keys', body);
            created.replaceChildren(h('section', { class: 'once' },
              h('h2', { text: `Key “${k.name}” created` }),
              h('p', { text: 'Copy it now: it is not shown again.' }),
              h('p', {}, h('code', { id: 'new-key-secret', text: k.key }), ' ', copyButton(() => k.key))));
            name.value = '';
            await load();
          } catch (err) { showError(error, err); }
        },
      }, field('Name', name),
      h('fieldset', {}, h('legend', { text: 'Scopes' }),
        scopes.map((c) => h('span', { class: 'check' }, c, h('label', { for: c.id, text: c.value })))),
      field('Restrict to workspaces (comma-separated)', workspaces),
      h('button', { type: 'submit', text: 'Create key' }))));

  async function load() {
    const rows = [];
    let cursor = null;
    do {
      const page = await call('GET', '/v1/api-keys?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      rows.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    table.replaceChildren(...rows.map((k) => h('tr', { 'data-key': k.id },
      h('td', { text: k.name }), h('td', {}, h('code', { text: k.prefix + '…' })),
      h('td', { text: k.scopes.join(', ') }), h('td', { text: k.workspaces.length ? k.workspaces.join(', ') : 'all' }),
      h('td', { text: k.created_at.slice(0, 10) }),
      h('td', { text: k.last_used_at ? k.last_used_at.slice(0, 16).replace('T', ' ') : 'never' }),
      h('td', { class: 'state-' + k.state, text: k.state === 'rotating' ? `rotating (until ${k.expires_at.slice(0, 16).replace('T', ' ')})` : k.state }),
      h('td', { class: 'actions' }, k.state !== 'active' ? null : [
        h('button', {
          type: 'button', class: 'secondary', text: 'Rotate', 'aria-label': 'Rotate ' + k.name,
          onclick: async () => {
            if (!confirm(`Rotate “${k.name}”? A new key replaces it; the old one keeps working for one hour.`)) return;
            try {
              const r = await call('POST', `/v1/api-keys/${k.id}/rotate`, { overlap_seconds: 3600 });
              created.replaceChildren(h('section', { class: 'once' },
                h('h2', { text: `Key “${r.name}” rotated` }),
                h('p', { text: 'The new key, shown once: copy it now. The old one stops working in an hour.' }),
                h('p', {}, h('code', { id: 'new-key-secret', text: r.key }), ' ', copyButton(() => r.key))));
              await load();
            } catch (err) { showError(error, err); }
          },
        }),
        ' ',
        h('button', {
          type: 'button', class: 'danger', text: 'Revoke', 'aria-label': 'Revoke ' + k.name,
          onclick: async () => {
            if (!confirm(`Revoke “${k.name}”? Programs using it stop working at once.`)) return;
            try {
              await call('DELETE', '/v1/api-keys/' + k.id);
              await load();
            } catch (err) { showError(error, err); }
          },
        })]))));
  }
  await load();
}

// ---- members and invites ----

async function members(content) {
  const error = alertBox();
  const rows = h('tbody', { id: 'member-rows' });
  const inviteRows = h('tbody', { id: 'invite-rows' });
  const created = h('div', { id: 'created-invite', 'aria-live': 'polite' });
  const email = h('input', { id: 'invite-new-email', type: 'email', required: true });
  const grantable = ROLES.filter((r) => r !== 'owner' && ROLES.indexOf(r) <= ROLES.indexOf(session.tenant.role));
  const role = h('select', { id: 'invite-new-role' }, grantable.map((r) => h('option', { value: r, text: r, selected: r === 'member' })));
  const workspaces = h('input', { id: 'invite-new-workspaces', type: 'text', placeholder: 'all workspaces' });
  put(content, h('h1', { text: 'Members' }), error,
    h('table', {}, h('caption', { text: 'Who belongs to this tenant, and what each may do.' }),
      h('thead', {}, h('tr', {}, ['Email', 'Role', 'Workspaces', 'Joined', ''].map((c) => h('th', { scope: 'col', text: c })))),
      rows),
    h('section', { 'aria-labelledby': 'invites-title' }, h('h2', { id: 'invites-title', text: 'Invites' }), created,
      h('table', {}, h('caption', { text: 'Invites, newest first. A token is shown once, when the invite is made.' }),
        h('thead', {}, h('tr', {}, ['Email', 'Role', 'State', 'Expires', ''].map((c) => h('th', { scope: 'col', text: c })))),
        inviteRows),
      h('form', {
        class: 'stack', onsubmit: async (e) => {
          e.preventDefault();
          error.hidden = true;
          const body = { email: email.value.trim(), role: role.value };
          const ws = workspaces.value.split(',').map((w) => w.trim()).filter(Boolean);
          if (ws.length) body.workspaces = ws;
          try {
            const invite = await call('POST', '/v1/invites', body);
            created.replaceChildren(h('section', { class: 'once' },
              h('h2', { text: `Invite for ${invite.email}` }),
              h('p', { text: 'Hand this token to the invitee (no mail is sent); they join from the console’s sign-in page. It is shown once.' }),
              h('p', {}, h('code', { id: 'invite-token-value', text: invite.token }), ' ', copyButton(() => invite.token))));
            email.value = '';
            await load();
          } catch (err) { showError(error, err); }
        },
      }, h('h3', { text: 'Invite someone' }), field('Email', email), field('Role', role),
      field('Restrict to workspaces (comma-separated)', workspaces), h('button', { type: 'submit', text: 'Invite' }))));

  async function load() {
    const [list, invites] = await Promise.all([call('GET', '/v1/members'), call('GET', '/v1/invites')]);
    rows.replaceChildren(...list.data.map((m) => {
      const mine = m.email === session.email;
      const editable = m.role !== 'owner' && !mine && ROLES.indexOf(m.role) <= ROLES.indexOf(session.tenant.role);
      const roleCell = editable
        ? h('select', {
          'aria-label': 'Role of ' + m.email, onchange: async (e) => {
            try {
              await call('PATCH', '/v1/members/' + m.user_id, { role: e.target.value });
              await load();
            } catch (err) { showError(error, err); await load(); }
          },
        }, grantable.map((r) => h('option', { value: r, text: r, selected: r === m.role })))
        : m.role;
      return h('tr', { 'data-member': m.email || m.user_id },
        h('td', { text: (m.email || m.user_id) + (mine ? ' (you)' : '') }), h('td', {}, roleCell),
        h('td', { text: m.workspaces.length ? m.workspaces.join(', ') : 'all' }), h('td', { text: m.joined_at.slice(0, 10) }),
        h('td', {}, !editable ? null : h('button', {
          type: 'button', class: 'danger', text: 'Remove', 'aria-label': 'Remove ' + m.email,
          onclick: async () => {
            if (!confirm(`Remove ${m.email}? Their API keys are revoked with the membership.`)) return;
            try {
              await call('DELETE', '/v1/members/' + m.user_id);
              await load();
            } catch (err) { showError(error, err); }
          },
        })));
    }));
    inviteRows.replaceChildren(...invites.data.map((i) => h('tr', { 'data-invite': i.email },
      h('td', { text: i.email }), h('td', { text: i.role }), h('td', { text: i.state }), h('td', { text: i.expires_at.slice(0, 10) }),
      h('td', {}, i.state !== 'pending' ? null : h('button', {
        type: 'button', class: 'danger', text: 'Revoke', 'aria-label': 'Revoke the invite for ' + i.email,
        onclick: async () => {
          try {
            await call('DELETE', '/v1/invites/' + i.id);
            await load();
          } catch (err) { showError(error, err); }
        },
      })))));
    if (invites.data.length === 0) inviteRows.append(h('tr', {}, h('td', { colspan: 5, text: 'No invites.' })));
  }
  await load();
}

// ---- audit log ----

async function audit(content) {
  const error = alertBox();
  const action = h('input', { id: 'audit-action', type: 'text', placeholder: 'e.g. api_key.created' });
  const actor = h('input', { id: 'audit-actor', type: 'text', placeholder: 'user id or key prefix' });
  const since = h('input', { id: 'audit-since', type: 'date' });
  const until = h('input', { id: 'audit-until', type: 'date' });
  const rows = h('tbody', { id: 'audit-rows' });
  const more = h('button', { type: 'button', class: 'secondary', text: 'Older entries', hidden: true });
  let cursor = null;
  put(content, h('h1', { text: 'Audit log' }), error,
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(true); } },
      field('Action', action), field('Actor', actor), field('Since', since), field('Until', until),
      h('button', { type: 'submit', text: 'Filter' })),
    h('table', {}, h('caption', { text: 'Newest first. Every entry is hash-chained to the one before it.' }),
      h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Client'].map((c) => h('th', { scope: 'col', text: c })))),
      rows),
    more);
  more.addEventListener('click', () => load(false));

  async function load(fresh) {
    error.hidden = true;
    const params = new URLSearchParams({ limit: '50' });
    if (action.value.trim()) params.set('action', action.value.trim());
    if (actor.value.trim()) params.set('actor', actor.value.trim());
    if (since.value) params.set('since', since.value);
    if (until.value) params.set('until', until.value);
    if (!fresh && cursor) params.set('cursor', cursor);
    try {
      const page = await call('GET', '/v1/audit-log?' + params);
      if (fresh) rows.replaceChildren();
      rows.append(...page.data.map((e) => h('tr', {},
        h('td', { text: e.at.replace('T', ' ').slice(0, 19) }), h('td', { text: e.actor || '' }),
        h('td', {}, h('code', { text: e.action })), h('td', { text: e.target || '' }),
        h('td', { text: e.outcome || '' }), h('td', { text: e.ip || '' }))));
      if (fresh && page.data.length === 0) rows.append(h('tr', {}, h('td', { colspan: 6, text: 'No entries match.' })));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (err) { showError(error, err); }
  }
  await load(true);
}

// ---- billing (admins see it; the owner changes the plan) ----

async function billing(content) {
  const error = alertBox();
  put(content, h('h1', { text: 'Billing' }), error);
  const off = () => put(content, h('p', { id: 'billing-off', class: 'note' },
    `Billing is off on this server: plans are set by its operator. This tenant is on the ${session.tenant.plan} plan.`));
  const info = billingInfo();
  if (!info.enabled) return off();
  let b;
  try {
    b = await call('GET', '/v1/billing');
  } catch (err) {
    if (err.status !== 404 || err.code !== 'billing_disabled') throw err;
    return off();
  }
  const sub = b.subscription;
  const when = (t) => (t ? t.slice(0, 16).replace('T', ' ') + ' UTC' : '—');
  const facts = [h('dt', { text: 'Plan' }), h('dd', { id: 'billing-plan', text: b.plan }),
    h('dt', { text: 'Subscription' }), h('dd', { id: 'billing-status', text: sub ? sub.status : 'none (no checkout yet)' })];
  if (sub) {
    facts.push(h('dt', { text: sub.cancel_at_period_end ? 'Ends' : 'Renews' }), h('dd', { text: when(sub.current_period_end) }));
    if (sub.past_due_since) facts.push(h('dt', { text: 'Past due since' }), h('dd', { text: when(sub.past_due_since) }));
  }
  const usageRow = (label, u) => h('tr', {}, h('th', { scope: 'row', text: label }), h('td', { text: u.used.toLocaleString() }),
    h('td', { text: u.included === null ? 'unlimited' : u.included.toLocaleString() }), h('td', { text: u.overage.toLocaleString() }));
  put(content, h('dl', { class: 'facts' }, facts),
    h('table', {}, h('caption', { text: `Use in ${b.usage.month} (UTC) against the plan; use beyond it is billed as overage.` }),
      h('thead', {}, h('tr', {}, ['Metric', 'Used', 'Included', 'Overage'].map((c) => h('th', { scope: 'col', text: c })))),
      h('tbody', { id: 'billing-usage' }, usageRow('API calls', b.usage.api_calls), usageRow('Searches', b.usage.searches))));
  if (session.tenant.role !== 'owner') {
    put(content, h('p', { class: 'note', text: 'Only the owner changes the plan or the payment details.' }));
    return;
  }
  // A Stripe page takes over from here: the plan changes when Stripe confirms the payment.
  const go = async (path, body) => {
    error.hidden = true;
    try {
      location.assign((await call('POST', path, body)).url);
    } catch (err) { showError(error, err); }
  };
  const others = info.plans.filter((p) => p !== b.plan);
  const paying = sub && sub.status !== 'canceled';
  if (!paying && others.length) {
    const plan = h('select', { id: 'upgrade-plan' }, others.map((p) => h('option', { value: p, text: p })));
    put(content, h('form', {
      class: 'stack', onsubmit: (e) => { e.preventDefault(); go('/v1/billing/checkout', { plan: plan.value }); },
    }, h('h2', { text: 'Change plan' }), field('Plan', plan), h('button', { type: 'submit', text: 'Upgrade' })));
  }
  if (sub) {
    put(content, h('section', { 'aria-labelledby': 'manage-title' }, h('h2', { id: 'manage-title', text: 'Subscription' }),
      h('p', { text: 'Change plans, update the payment method or cancel on Stripe’s billing page.' }),
      h('button', { type: 'button', text: 'Manage billing', onclick: () => go('/v1/billing/portal') })));
  }
}

// ---- backups (read-only: restores are the operator's) ----

async function backups(content) {
  const list = await call('GET', '/v1/backups');
  const rows = h('tbody', { id: 'backup-rows' }, list.data.map((b) => h('tr', {},
    h('td', { text: b.taken_at.replace('T', ' ').slice(0, 19) }), h('td', { text: b.covers_until.replace('T', ' ').slice(0, 19) }),
    h('td', { text: formatBytes(b.bytes) }), h('td', { text: b.memory_count.toLocaleString() }),
    h('td', { text: b.verified ? 'verified' : 'not yet' }))));
  if (list.data.length === 0) rows.append(h('tr', {}, h('td', { colspan: 5, text: 'No snapshots yet.' })));
  put(content, h('h1', { text: 'Backups' }),
    h('p', { id: 'backups-note', class: 'note' }, list.enabled
      ? 'This server takes encrypted snapshots of the tenant and keeps a change log between them, so a restore can go back to any instant they cover. '
      : 'This server keeps no backups (its operator has turned them off). ',
    'Restores are done by the server’s operator (the restore runbook in the project’s docs/runbooks): ask them, naming the instant to go back to.'),
    h('table', {}, h('caption', { text: 'Snapshots, newest first.' }),
      h('thead', {}, h('tr', {}, ['Taken', 'Covers changes until', 'Size', 'Memories', 'Verified'].map((c) => h('th', { scope: 'col', text: c })))),
      rows));
}

// ---- settings (the owner's) ----

async function settings(content) {
  const error = alertBox();
  const t = await call('GET', '/v1/tenant');
  const name = h('input', { id: 'tenant-name', type: 'text', required: true, maxlength: 100 });
  name.value = t.name;
  const slug = h('input', { id: 'tenant-slug', type: 'text', required: true, pattern: '[a-z0-9][a-z0-9-]{1,38}[a-z0-9]' });
  slug.value = t.slug;
  const saved = h('p', { role: 'status' });
  const confirmSlug = h('input', { id: 'delete-confirm', type: 'text', autocomplete: 'off' });
  const remove = h('button', { type: 'submit', class: 'danger', text: 'Delete this tenant', disabled: true });
  confirmSlug.addEventListener('input', () => { remove.disabled = confirmSlug.value !== session.tenant.slug; });
  put(content, h('h1', { text: 'Settings' }), error,
    h('dl', { class: 'facts' }, h('dt', { text: 'Tenant id' }), h('dd', {}, h('code', { text: t.id })),
      h('dt', { text: 'Plan' }), h('dd', { text: t.plan }), h('dt', { text: 'Created' }), h('dd', { text: t.created_at.slice(0, 10) })),
    h('form', {
      class: 'stack', onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        const body = {};
        if (name.value.trim() !== session.tenant.name) body.name = name.value.trim();
        if (slug.value.trim() !== session.tenant.slug) body.slug = slug.value.trim();
        if (!Object.keys(body).length) { saved.textContent = 'Nothing changed.'; return; }
        try {
          session.tenant = { ...session.tenant, ...(await call('PATCH', '/v1/tenant', body)) };
          saved.textContent = 'Saved.';
        } catch (err) { showError(error, err); }
      },
    }, h('h2', { text: 'Name and slug' }), field('Name', name),
    field('Slug (3 to 40 lowercase letters, digits and hyphens; the old one stops working)', slug),
    h('button', { type: 'submit', text: 'Save' }), saved),
    h('form', {
      class: 'stack danger-zone', onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        try {
          await call('DELETE', '/v1/tenant', { confirm: confirmSlug.value });
          session = null;
          location.assign('/');
        } catch (err) { showError(error, err); }
      },
    }, h('h2', { text: 'Delete the tenant' }),
    h('p', { text: 'Every memory, key, member and invite goes at once, and cannot be brought back.' }),
    field(`Type the slug (${session.tenant.slug}) to confirm`, confirmSlug), remove));
}

// ---- connect ----

function connect(content) {
  const endpoint = location.origin + '/mcp';
  const key = firstKey || 'ek_live_...';
  const snippets = [
    ['Claude Code', 'Run in a terminal:', `claude mcp add --transport http engram ${endpoint} --header "Authorization: Bearer ${key}"`],
    ['Cursor', 'In ~/.cursor/mcp.json:', JSON.stringify({ mcpServers: { engram: { url: endpoint, headers: { Authorization: 'Bearer ' + key } } } }, null, 2)],
    ['VS Code', 'In .vscode/mcp.json:', JSON.stringify({ servers: { engram: { type: 'http', url: endpoint, headers: { Authorization: 'Bearer ' + key } } } }, null, 2)],
    ['Engram SDKs and other clients', 'Set these for the Engram SDKs (or any HTTP client of the REST API):',
      `ENGRAM_URL=${location.origin}\nENGRAM_API_KEY=${key}`],
  ];
  put(content, h('h1', { text: 'Connect a client' }),
    h('p', {}, 'Your MCP endpoint is ', h('code', { id: 'mcp-endpoint', text: endpoint }),
      '. Use an API key from the ', h('a', { href: '#/keys', text: 'API keys' }), ' page (a key restricted to workspaces for an agent that needs only those).'),
    snippets.map(([title, hint, text]) => h('section', { class: 'snippet' },
      h('h2', { text: title }), h('p', { text: hint }), h('pre', { tabindex: 0 }, h('code', { text })), copyButton(() => text))));
}

start();
