// Saga Warden operator console: plain JavaScript over the REST API (/api/v1), no build step.
// Every string from the API reaches the page through textContent or setAttribute, never through innerHTML.
'use strict';

(() => {
  const REFRESH_MS = 5000;
  const TYPING_PAUSE_MS = 15000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  const SAGA_STATUSES = ['PENDING', 'RUNNING', 'WAITING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'];
  const ENDED = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);
  const OPERATOR_KEY = 'sagaWarden.operator';

  // ---------------------------------------------------------------- DOM building

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) {
          if (v !== null && v !== undefined) el.dataset[k] = String(v);
        }
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    return el;
  }

  /** An HTML element: h('td', {class: 'x'}, 'text', child, [more]). */
  function h(tag, attrs, ...children) {
    return append(setAttrs(document.createElement(tag), attrs), children);
  }

  /** An SVG element. */
  function svg(tag, attrs, ...children) {
    return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
  }

  function hashLink(hash, text, attrs) {
    return h('a', Object.assign({href: hash}, attrs || {}), text);
  }

  function sagaHash(id) {
    return '#/sagas/' + encodeURIComponent(id);
  }

  function deadlockHash(id) {
    return '#/deadlocks/' + encodeURIComponent(id);
  }

  function shortId(id) {
    return id ? String(id).slice(0, 8) : '—';
  }

  function sagaLink(id, attrs) {
    if (!id) return h('span', {class: 'muted'}, '—');
    return hashLink(sagaHash(id), h('code', {}, shortId(id)), Object.assign({title: String(id), class: 'saga-link'}, attrs || {}));
  }

  function token(value) {
    return String(value || 'unknown').toLowerCase().replace(/[^a-z0-9_-]/g, '');
  }

  function badge(value, family) {
    const text = value === null || value === undefined ? '—' : String(value);
    return h('span', {class: `badge ${family || 'status'}-${token(text)}`}, text);
  }

  function pad(n, width) {
    return String(n).padStart(width || 2, '0');
  }

  /** Local time to the millisecond, with its zone: a whole saga often happens within one second. */
  function formatTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const offset = -d.getTimezoneOffset();
    const zone = offset === 0 ? 'UTC'
      : `UTC${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:`
      + `${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')} ${zone}`;
  }

  function timeEl(iso) {
    if (!iso) return h('span', {class: 'muted'}, '—');
    return h('time', {datetime: iso, title: iso}, formatTime(iso));
  }

  function formatDuration(ms) {
    if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const seconds = ms / 1000;
    if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} h ${minutes % 60} min`;
    return `${Math.floor(hours / 24)} d ${hours % 24} h`;
  }

  /** ISO-8601 durations as the API writes them (PT3.2S, PT5M, PT1H2M3S, P1DT2H). */
  function isoDurationMs(text) {
    const m = /^P(?:(\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?[\d.]+)S)?)?$/.exec(String(text || ''));
    if (!m) return null;
    return (((Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 60 + Number(m[3] || 0)) * 60 + Number(m[4] || 0)) * 1000;
  }

  function isoDuration(text) {
    const ms = isoDurationMs(text);
    return ms === null ? (text ? String(text) : '—') : formatDuration(ms);
  }

  function between(fromIso, toIso) {
    if (!fromIso) return null;
    const end = toIso ? new Date(toIso) : new Date();
    return end.getTime() - new Date(fromIso).getTime();
  }

  function json(value, indent) {
    return JSON.stringify(value, null, indent);
  }

  /**
   * A table in a container of its own that scrolls sideways when the screen is narrower than the table, so the page
   * never does. Each cell carries its column's name, which a stacked table (class `stack`) shows on a phone.
   */
  function table(headers, rows, attrs) {
    const a = Object.assign({}, attrs || {});
    a.class = 'grid' + (a.class ? ' ' + a.class : '');
    for (const row of [].concat(rows).flat(Infinity)) {
      if (!(row instanceof Element)) continue;
      [...row.children].forEach((cell, i) => {
        if (headers[i] && !cell.dataset.label) cell.dataset.label = headers[i];
      });
    }
    return h('div', {class: 'table-scroll'}, h('table', a,
      h('thead', {}, h('tr', {}, headers.map(x => h('th', {scope: 'col'}, x)))),
      h('tbody', {}, rows)));
  }

  function empty(text, attrs) {
    return h('p', Object.assign({class: 'empty'}, attrs || {}), text);
  }

  function section(title, attrs, ...children) {
    return h('section', Object.assign({class: 'panel'}, attrs || {}), h('h2', {}, title), children);
  }

  // ---------------------------------------------------------------- API

  async function api(path, options) {
    const opts = options || {};
    const method = opts.method || 'GET';
    // A change is always declared as JSON: the API refuses anything else, which is what stops cross-site forms.
    const headers = Object.assign({Accept: 'application/json'}, method === 'GET' ? {} : {'Content-Type': 'application/json'},
      await sagaWardenLogin.authorization(), opts.headers || {});
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const response = await fetch(path, {method, headers, body, cache: 'no-store'});
    if (response.status === 401) {
      await sagaWardenLogin.refused();
    }
    const text = await response.text();
    let answer = null;
    if (text) {
      try {
        answer = JSON.parse(text);
      } catch (e) {
        answer = text;
      }
    }
    if (!response.ok) {
      const detail = answer && typeof answer === 'object' ? (answer.detail || answer.title) : null;
      const error = new Error(detail ? `${detail} (HTTP ${response.status})` : `HTTP ${response.status} for ${path}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of [].concat(value)) {
        if (v !== null && v !== undefined && v !== '') q.append(key, v);
      }
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  /** With security off, the name the operator typed; with it on, the token names the operator. */
  function operatorHeaders() {
    if (!state.who.open) return {};
    const name = (document.getElementById('operator-name').value || '').trim();
    return name ? {'Saga-Operator': name} : {};
  }

  /** An action the caller's roles allow and, for a saga, one the API would accept now (its `actions`). */
  function may(action, saga) {
    if (saga && !(saga.actions || []).includes(action)) return false;
    const roles = state.who.roles;
    if (roles.includes('saga-operator')) return true;
    return (action === 'abort' || action === 'rerun') && roles.includes('saga-submitter')
      && (state.who.open || (saga && saga.submitter === state.who.user));
  }

  /** Unresolved alerts (OPEN and ACKNOWLEDGED), newest first. */
  async function unresolvedAlerts() {
    const [open, acknowledged] = await Promise.all([
      api('/api/v1/alerts' + query({state: 'OPEN', limit: 500})),
      api('/api/v1/alerts' + query({state: 'ACKNOWLEDGED', limit: 500})),
    ]);
    return open.items.concat(acknowledged.items)
      .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)) || String(b.id).localeCompare(String(a.id)));
  }

  // Sagas never change their type or priority: remember them for graph labels.
  const sagaInfo = new Map();

  async function sagaInfos(ids) {
    const result = new Map();
    await Promise.all([...new Set(ids)].map(async id => {
      try {
        const saga = await api('/api/v1/sagas/' + encodeURIComponent(id));
        sagaInfo.set(id, {type: saga.type, priority: saga.priority});
        result.set(id, {type: saga.type, priority: saga.priority, status: saga.status});
      } catch (e) {
        result.set(id, Object.assign({status: null}, sagaInfo.get(id) || {}));
      }
    }));
    return result;
  }

  // ---------------------------------------------------------------- regions and refresh

  /** A part of a view that is rebuilt only when its data changed, so the page stays still between refreshes. */
  function region(attrs) {
    const el = h('div', Object.assign({class: 'region'}, attrs || {}));
    let key = null;
    return {
      el,
      show(data, build) {
        const next = json(data);
        if (next === key) return;
        key = next;
        el.replaceChildren(...[].concat(build(data)).filter(Boolean));
      },
      fail(error) {
        key = null;
        el.replaceChildren(h('p', {class: 'error-text'}, `Could not load: ${error.message}`));
      },
      reset() {
        key = null;
      },
    };
  }

  const state = {view: null, refreshing: false, again: false, userPaused: false, lastInputAt: 0, lastRefresh: null, failing: false,
    who: {open: true, user: null, roles: []}};

  function isField(el) {
    return el instanceof HTMLElement && el.matches('input, textarea, select');
  }

  function typing() {
    return isField(document.activeElement) && Date.now() - state.lastInputAt < TYPING_PAUSE_MS;
  }

  function showStatus() {
    const status = document.getElementById('refresh-status');
    const toggle = document.getElementById('refresh-toggle');
    let text;
    if (state.userPaused) {
      text = 'Auto-refresh paused';
    } else if (typing()) {
      text = 'Paused while you type';
    } else if (state.failing) {
      text = 'API unreachable, retrying';
    } else {
      text = state.lastRefresh ? `Updated ${formatTime(state.lastRefresh.toISOString()).slice(11)}` : 'Loading…';
    }
    status.textContent = text;
    status.dataset.paused = String(state.userPaused || typing());
    status.classList.toggle('failing', state.failing);
    toggle.textContent = state.userPaused ? 'Resume' : 'Pause';
  }

  function banner(message, kind) {
    const el = document.getElementById('banner');
    if (!message) {
      el.hidden = true;
      el.replaceChildren();
      return;
    }
    el.hidden = false;
    el.className = 'banner ' + (kind || 'error');
    el.replaceChildren(h('span', {}, message), h('button', {type: 'button', class: 'quiet', onclick: () => banner(null)}, 'Dismiss'));
  }

  async function refresh(force) {
    const view = state.view;
    if (!view) return;
    if (state.refreshing) {
      // An operator's action must show at once, not at the next tick: run again when this round ends.
      if (force) state.again = true;
      return;
    }
    if (!force && (state.userPaused || typing() || document.hidden)) {
      showStatus();
      return;
    }
    state.refreshing = true;
    try {
      await view.refresh();
      if (view === state.view) {
        state.failing = false;
        state.lastRefresh = new Date();
        document.getElementById('view').dataset.loaded = 'true';
      }
    } catch (e) {
      state.failing = true;
      console.warn('refresh failed', e);
    } finally {
      state.refreshing = false;
      showStatus();
    }
    if (state.again) {
      state.again = false;
      await refresh(true);
    }
  }

  // ---------------------------------------------------------------- overview: alerts, stuck sagas, deadlocks

  function alertRow(alert, onAck) {
    const metadata = alert.metadata && typeof alert.metadata === 'object' ? alert.metadata : {};
    const deadlockId = typeof metadata.deadlockId === 'string' && UUID_RE.test(metadata.deadlockId) ? metadata.deadlockId : null;
    const action = alert.state === 'OPEN' && may('ack')
      ? h('button', {type: 'button', class: 'primary', dataset: {test: 'ack-button', alertId: alert.id},
        onclick: event => onAck(alert, event.currentTarget)}, 'Acknowledge')
      : null;
    return h('tr', {dataset: {test: 'alert-row', alertId: alert.id, sagaId: alert.sagaId, kind: alert.kind, state: alert.state},
      class: `alert severity-${token(alert.severity)}`},
    h('td', {}, badge(alert.severity, 'severity')),
    h('td', {}, h('code', {class: 'kind'}, alert.kind)),
    h('td', {}, sagaLink(alert.sagaId), alert.sagaType ? h('div', {class: 'muted small'}, alert.sagaType) : null),
    h('td', {class: 'text'},
      h('div', {class: 'summary', dataset: {test: 'alert-summary'}}, alert.summary),
      alert.description ? h('div', {class: 'description', dataset: {test: 'alert-description'}}, alert.description) : null,
      deadlockId ? h('div', {class: 'small'}, hashLink(deadlockHash(deadlockId), 'View the deadlock →')) : null),
    h('td', {}, timeEl(alert.createdAt)),
    h('td', {},
      h('span', {dataset: {test: 'alert-state'}}, badge(alert.state, 'state')),
      alert.acknowledgedAt ? h('div', {class: 'muted small'}, `by ${alert.acknowledgedBy || '?'} `, timeEl(alert.acknowledgedAt)) : null,
      alert.resolvedAt ? h('div', {class: 'muted small'}, 'resolved ', timeEl(alert.resolvedAt)) : null),
    h('td', {class: 'actions'}, action));
  }

  function alertsTable(alerts, onAck) {
    if (alerts.length === 0) return empty('No alerts. All quiet.', {dataset: {test: 'no-alerts'}});
    return table(['Severity', 'Kind', 'Saga', 'What', 'Raised', 'State', ''], alerts.map(a => alertRow(a, onAck)),
      {id: 'alerts-table', class: 'stack', dataset: {test: 'alerts-table'}});
  }

  async function acknowledge(alert, button, after) {
    button.disabled = true;
    button.textContent = 'Acknowledging…';
    try {
      await api('/api/v1/alerts/' + encodeURIComponent(alert.id) + '/ack', {method: 'POST', headers: operatorHeaders()});
      banner(null);
    } catch (e) {
      banner(`Could not acknowledge the alert: ${e.message}`);
      button.disabled = false;
      button.textContent = 'Acknowledge';
      return;
    }
    await after();
  }

  function stuckTable(alerts) {
    const stuck = alerts.filter(a => a.kind === 'STUCK');
    if (stuck.length === 0) return empty('No saga is stuck.', {dataset: {test: 'no-stuck'}});
    return table(['Saga', 'Cause', 'Stuck for', 'Step', 'Node', 'Blocked by', 'Since', 'Alert'], stuck.map(a => {
      const m = a.metadata && typeof a.metadata === 'object' ? a.metadata : {};
      const blockers = Array.isArray(m.blockedBy) ? m.blockedBy.filter(id => UUID_RE.test(String(id))) : [];
      return h('tr', {dataset: {test: 'stuck-row', sagaId: a.sagaId, alertId: a.id}},
        h('td', {}, sagaLink(a.sagaId), a.sagaType ? h('div', {class: 'muted small'}, a.sagaType) : null),
        h('td', {}, h('span', {dataset: {test: 'stuck-cause'}}, badge(m.cause || 'UNKNOWN', 'cause')),
          a.description ? h('div', {class: 'description'}, a.description) : null),
        h('td', {}, isoDuration(m.stuckFor)),
        h('td', {}, m.step ? h('code', {}, m.step) : h('span', {class: 'muted'}, '—')),
        h('td', {}, m.owner ? h('code', {}, m.owner) : h('span', {class: 'muted'}, 'none')),
        h('td', {}, blockers.length ? blockers.map(id => [sagaLink(id), ' ']) : h('span', {class: 'muted'}, '—')),
        h('td', {}, timeEl(a.createdAt)),
        h('td', {}, badge(a.state, 'state')));
    }), {id: 'stuck-table', dataset: {test: 'stuck-table'}});
  }

  function deadlockRows(items) {
    return items.map(d => {
      const victim = d.victim || {};
      const cycle = Array.isArray(d.cycle) ? d.cycle : [];
      const resources = [...new Set(cycle.map(e => e.resource))];
      return h('tr', {class: 'clickable', dataset: {test: 'deadlock-row', deadlockId: d.id},
        onclick: event => {
          if (!event.target.closest('a')) location.hash = deadlockHash(d.id);
        }},
      h('td', {}, hashLink(deadlockHash(d.id), timeEl(d.detectedAt), {dataset: {test: 'deadlock-link'}})),
      h('td', {}, `${cycle.length} sagas`),
      h('td', {}, resources.map((r, i) => [i ? ', ' : '', h('code', {}, r)])),
      h('td', {}, sagaLink(victim.sagaId), ' ', h('span', {class: 'muted small'}, `${victim.type || ''} · priority ${victim.priority}`)),
      h('td', {class: 'small'}, victim.why || ''),
      h('td', {}, badge(d.resolution, 'resolution')));
    });
  }

  function deadlocksTable(items) {
    if (items.length === 0) return empty('No deadlock has been found.', {dataset: {test: 'no-deadlocks'}});
    return table(['Detected', 'Cycle', 'Resources', 'Victim', 'Why this victim', 'Resolution'], deadlockRows(items),
      {dataset: {test: 'deadlocks-table'}});
  }

  /** The sagas in a wait's way, the nearest first, and how many more there are. */
  function blockerLinks(wait) {
    const shown = wait.blockedBy || [];
    if (shown.length === 0) return h('span', {class: 'muted'}, '—');
    return [shown.map(id => [sagaLink(id), ' ']),
      wait.blockedByCount > shown.length ? h('span', {class: 'muted'}, `and ${wait.blockedByCount - shown.length} more`) : null];
  }

  const ACTIVE = ['PENDING', 'RUNNING', 'WAITING', 'COMPENSATING'];

  function statusCounts(overview) {
    const counts = overview.counts || {};
    const tile = status => hashLink('#/sagas' + query({status}),
      [h('span', {class: 'count-number'}, String(counts[status] || 0)), h('span', {class: 'count-label'}, status)],
      {class: `count-tile status-${token(status)}`, dataset: {test: 'status-count', status}, title: `List the ${status} sagas`});
    const group = (title, statuses) => h('div', {class: 'count-group'}, h('h3', {}, title), h('div', {class: 'count-tiles'}, statuses.map(tile)));
    return h('div', {class: 'count-groups', dataset: {test: 'status-counts'}},
      group('Now', ACTIVE),
      group('Waiting for an operator', ['FAILED']),
      group('Ended in the last 24 h', ['COMPLETED', 'COMPENSATED']));
  }

  function overviewWaits(overview) {
    const waits = overview.waiting || [];
    if (waits.length === 0) return empty('No saga waits for a lock.', {dataset: {test: 'no-overview-waits'}});
    const all = (overview.counts || {}).WAITING || 0;
    return [
      all > waits.length ? h('p', {class: 'hint'}, `The ${waits.length} longest waits; ${all} sagas wait in all.`) : null,
      table(['Saga', 'Step', 'Wants', 'Resource', 'Waiting for', 'Place', 'Blocked by'], waits.map(w => h('tr', {dataset: {test: 'overview-wait-row', sagaId: w.sagaId}},
        h('td', {}, sagaLink(w.sagaId), h('div', {class: 'muted small'}, `${w.type} · priority ${w.priority}`)),
        h('td', {}, w.step ? h('code', {}, w.step) : h('span', {class: 'muted'}, '—')),
        h('td', {}, badge(w.mode, 'mode')),
        h('td', {}, h('code', {}, w.resource)),
        h('td', {class: 'nowrap', dataset: {test: 'overview-wait-duration'}, title: `queued ${formatTime(w.since)}`}, isoDuration(w.waited)),
        h('td', {class: 'num'}, String(w.position)),
        h('td', {dataset: {test: 'overview-wait-blockers'}}, blockerLinks(w)))), {dataset: {test: 'overview-waits'}})];
  }

  function recentlyEnded(overview) {
    const rows = (overview.recentlyFailed || []).concat(overview.recentlyCompensated || [])
      .sort((a, b) => String(b.endedAt).localeCompare(String(a.endedAt)));
    if (rows.length === 0) return empty('No saga failed or compensated in the last 24 hours.', {dataset: {test: 'no-recent-ended'}});
    return table(['Saga', 'Status', 'Reason', 'Ended'], rows.map(s => h('tr', {dataset: {test: 'recent-ended-row', sagaId: s.sagaId, status: s.status}},
      h('td', {}, sagaLink(s.sagaId), h('div', {class: 'muted small'}, s.type)),
      h('td', {}, badge(s.status)),
      h('td', {}, s.reason ? badge(s.reason, 'reason') : h('span', {class: 'muted'}, '—')),
      h('td', {}, timeEl(s.endedAt)))), {class: 'compact', dataset: {test: 'recent-ended'}});
  }

  function recoveredTable(overview) {
    const rows = overview.recovered || [];
    if (rows.length === 0) return empty('No saga had to be recovered in the last 24 hours.', {dataset: {test: 'no-recovered'}});
    return table(['Saga', 'Recovery', 'Cause', 'Last', 'Now'], rows.map(r => h('tr', {dataset: {test: 'recovered-row', sagaId: r.sagaId}},
      h('td', {}, sagaLink(r.sagaId), h('div', {class: 'muted small'}, r.type)),
      h('td', {}, h('code', {class: 'kind'}, String(r.kind || '').replace(/^STUCK_RECOVERY_/, '').toLowerCase()),
        r.recoveries > 1 ? h('span', {class: 'muted small'}, ` ×${r.recoveries}`) : null),
      h('td', {}, r.cause ? badge(r.cause, 'cause') : h('span', {class: 'muted'}, '—')),
      h('td', {}, timeEl(r.at)),
      h('td', {}, badge(r.status), r.reason ? h('div', {class: 'muted small'}, r.reason) : null))), {class: 'compact', dataset: {test: 'recovered'}});
  }

  const DEMO_TITLES = {
    completes: 'An order that completes',
    compensates: 'An order that fails and compensates',
    deadlock: 'Two orders that deadlock',
  };

  /** What the console learnt when it started: who is logged in, and whether dev mode's demo sagas are on offer. */
  let consoleSession = null;

  /**
   * The demo sagas of dev mode (the console's settings say whether there are any): a button per demo submits its
   * sagas together, as any client would, and links to them.
   */
  async function demoPanel() {
    if (!consoleSession || !consoleSession.demoSagas) return null;
    const demos = await api('/console/demo-sagas');
    const result = h('p', {class: 'hint', dataset: {test: 'demo-result'}});
    const buttons = demos.map(demo => h('button', {type: 'button', dataset: {test: 'demo-' + demo.name},
      onclick: async e => {
        const button = e.currentTarget;
        button.disabled = true;
        try {
          const sagas = await Promise.all(demo.sagas.map(saga => api('/api/v1/sagas', {method: 'POST', body: saga})));
          result.replaceChildren(`${DEMO_TITLES[demo.name] || demo.name}: submitted `,
            ...sagas.flatMap((saga, i) => [i ? ' and ' : '', sagaLink(saga.id)]), '.');
          refresh(true);
        } catch (err) {
          result.textContent = `Could not submit the demo: ${err.message}`;
        } finally {
          button.disabled = false;
        }
      }}, DEMO_TITLES[demo.name] || demo.name));
    return section('Try it: demo sagas', {id: 'demo-section'},
      h('p', {class: 'hint'}, 'Orders against the example shop on port 8070 (deploy/examples/shop), which the ',
        'README\'s run command starts. Watch them below: the deadlocked pair loses one order, compensated, and the ',
        'other completes.'),
      h('div', {class: 'demo-buttons'}, buttons), result);
  }

  function overviewView(root) {
    const stateFilter = h('select', {id: 'alert-state', 'aria-label': 'Alert state'},
      h('option', {value: 'UNRESOLVED'}, 'Open and acknowledged'),
      h('option', {value: 'OPEN'}, 'Open'),
      h('option', {value: 'ACKNOWLEDGED'}, 'Acknowledged'),
      h('option', {value: 'RESOLVED'}, 'Resolved (latest 100)'));
    const severityFilter = h('select', {id: 'alert-severity', 'aria-label': 'Severity'},
      h('option', {value: ''}, 'Any severity'),
      h('option', {value: 'critical'}, 'Critical'),
      h('option', {value: 'warning'}, 'Warning'));
    const alerts = region({id: 'alerts'});
    const stuck = region({id: 'stuck'});
    const deadlocks = region({id: 'recent-deadlocks'});
    const sagaCounts = region({id: 'status-counts'});
    const waits = region({id: 'overview-waits'});
    const ended = region({id: 'recent-ended'});
    const recovered = region({id: 'recovered'});
    const counts = h('span', {class: 'counts muted'});

    const demo = h('div');
    demoPanel().then(panel => panel ? demo.replaceWith(panel) : demo.remove(), e => {
      demo.remove();
      banner(`Demo sagas: ${e.message}`);
    });
    root.append(
      demo,
      section('Sagas', {id: 'counts-section'}, sagaCounts.el),
      section('Waiting longest for a lock', {id: 'waits-section'},
        h('p', {class: 'hint'}, 'Sagas queued for a lock, the longest wait first, with the sagas in their way.'), waits.el),
      h('div', {class: 'overview-grid'},
        section('Failed or compensated, last 24 h', {id: 'ended-section'}, ended.el),
        section('Recovered from being stuck, last 24 h', {id: 'recovered-section'},
          h('p', {class: 'hint'}, 'Its STUCK alert resolves once a saga is recovered; the recovery stays here.'), recovered.el)),
      h('section', {class: 'panel', id: 'alerts-section'},
        h('div', {class: 'panel-head'}, h('h2', {}, 'Alerts ', counts),
          h('div', {class: 'filters'}, stateFilter, severityFilter)),
        alerts.el),
      section('Stuck sagas', {id: 'stuck-section'},
        h('p', {class: 'hint'}, 'Sagas that stopped moving, from their open STUCK alerts, with the cause the monitor found.'),
        stuck.el),
      h('section', {class: 'panel', id: 'deadlocks-section'},
        h('div', {class: 'panel-head'}, h('h2', {}, 'Recent deadlocks'), hashLink('#/deadlocks', 'All deadlocks →')),
        deadlocks.el));

    const load = async () => {
      const unresolved = await unresolvedAlerts();
      let shown = unresolved;
      if (stateFilter.value === 'RESOLVED') {
        shown = (await api('/api/v1/alerts' + query({state: 'RESOLVED', limit: 100}))).items;
      } else if (stateFilter.value !== 'UNRESOLVED') {
        shown = unresolved.filter(a => a.state === stateFilter.value);
      }
      if (severityFilter.value) shown = shown.filter(a => a.severity === severityFilter.value);
      const open = unresolved.filter(a => a.state === 'OPEN').length;
      counts.textContent = `${open} open · ${unresolved.length - open} acknowledged`;
      alerts.show(shown, data => alertsTable(data, (alert, button) => acknowledge(alert, button, () => refresh(true))));
      stuck.show(unresolved.filter(a => a.kind === 'STUCK'), stuckTable);
    };
    const loadDeadlocks = async () => {
      const page = await api('/api/v1/deadlocks' + query({limit: 10}));
      deadlocks.show(page.items, deadlocksTable);
    };
    const overviewRegions = [sagaCounts, waits, ended, recovered];
    const loadOverview = async () => {
      const overview = await api('/api/v1/overview');
      sagaCounts.show(overview.counts, () => statusCounts(overview));
      waits.show({waiting: overview.waiting, all: overview.counts.WAITING}, () => overviewWaits(overview));
      ended.show([overview.recentlyFailed, overview.recentlyCompensated], () => recentlyEnded(overview));
      recovered.show(overview.recovered, () => recoveredTable(overview));
    };
    stateFilter.addEventListener('change', () => refresh(true));
    severityFilter.addEventListener('change', () => refresh(true));
    return {
      title: 'Overview',
      nav: 'overview',
      refresh: () => Promise.all([
        loadOverview().catch(e => { overviewRegions.forEach(r => r.fail(e)); throw e; }),
        load().catch(e => { alerts.fail(e); stuck.fail(e); throw e; }),
        loadDeadlocks().catch(e => { deadlocks.fail(e); throw e; }),
      ]),
    };
  }

  // ---------------------------------------------------------------- saga search

  function sagaRows(items) {
    return items.map(s => h('tr', {dataset: {test: 'saga-row', sagaId: s.id}},
      h('td', {}, sagaLink(s.id)),
      h('td', {}, s.type),
      h('td', {}, badge(s.status), s.reason ? h('div', {class: 'muted small'}, s.reason) : null),
      h('td', {class: 'num'}, String(s.priority)),
      h('td', {}, labelChips(s.labels)),
      h('td', {}, s.currentStep ? h('code', {}, s.currentStep) : h('span', {class: 'muted'}, '—')),
      h('td', {}, timeEl(s.createdAt)),
      h('td', {}, timeEl(s.updatedAt))));
  }

  function labelChips(labels) {
    const entries = Object.entries(labels || {});
    if (entries.length === 0) return h('span', {class: 'muted'}, '—');
    return entries.map(([k, v]) => h('span', {class: 'chip'}, `${k}: ${v}`));
  }

  function searchView(root, params) {
    const field = (label, input) => h('label', {class: 'field'}, h('span', {}, label), input);
    const idInput = h('input', {id: 'search-id', type: 'search', placeholder: 'a saga id (UUID)', autocomplete: 'off', spellcheck: 'false', size: 38});
    const typeInput = h('input', {id: 'search-type', type: 'search', placeholder: 'e.g. CreateOrderSaga', autocomplete: 'off', spellcheck: 'false'});
    const statusSelect = h('select', {id: 'search-status'}, h('option', {value: ''}, 'Any'), SAGA_STATUSES.map(s => h('option', {value: s}, s)));
    const labelInput = h('input', {id: 'search-label', type: 'search', placeholder: 'key:value, key:value', autocomplete: 'off', spellcheck: 'false'});
    const message = h('p', {class: 'error-text', hidden: true, dataset: {test: 'search-message'}});
    typeInput.value = params.get('type') || '';
    statusSelect.value = SAGA_STATUSES.includes(params.get('status')) ? params.get('status') : '';
    labelInput.value = params.getAll('label').join(', ');

    const form = h('form', {id: 'saga-search', class: 'search', dataset: {test: 'saga-search'}, onsubmit: event => {
      event.preventDefault();
      message.hidden = true;
      const id = idInput.value.trim();
      if (id) {
        if (!UUID_RE.test(id)) {
          message.textContent = 'A saga id is a UUID such as 3f2c8a9e-1b7d-4c1e-9a55-0e6f1d2c3b4a.';
          message.hidden = false;
          return;
        }
        location.hash = sagaHash(id.toLowerCase());
        return;
      }
      const labels = labelInput.value.split(',').map(x => x.trim()).filter(Boolean);
      const bad = labels.find(l => !/^[^:]+:.*$/.test(l));
      if (bad) {
        message.textContent = `A label filter is key:value, not "${bad}".`;
        message.hidden = false;
        return;
      }
      const next = '#/sagas' + query({type: typeInput.value.trim(), status: statusSelect.value, label: labels});
      if (location.hash === next) refresh(true); else location.hash = next;
    }},
    h('div', {class: 'row'}, field('Saga id', idInput), h('span', {class: 'or muted'}, 'or')),
    h('div', {class: 'row'}, field('Type', typeInput), field('Status', statusSelect), field('Labels', labelInput),
      h('button', {type: 'submit', class: 'primary', id: 'search-submit'}, 'Search'),
      hashLink('#/sagas', 'Clear', {class: 'quiet-link'})),
    message);

    const results = region({id: 'saga-results'});
    const more = h('button', {type: 'button', class: 'quiet', hidden: true, id: 'saga-more'}, 'Load more');
    let pages = 1;
    more.addEventListener('click', () => {
      pages += 1;
      refresh(true);
    });
    root.append(section('Sagas', {id: 'search-section'}, form), h('section', {class: 'panel'}, results.el, more));

    const filter = {type: params.get('type') || '', status: statusSelect.value, label: params.getAll('label')};
    return {
      title: 'Sagas',
      nav: 'sagas',
      refresh: async () => {
        try {
          let items = [];
          let cursor = null;
          for (let i = 0; i < pages; i++) {
            const page = await api('/api/v1/sagas' + query(Object.assign({limit: 50, cursor}, filter)));
            items = items.concat(page.items);
            cursor = page.nextCursor;
            if (!cursor) break;
          }
          more.hidden = !cursor;
          results.show(items, data => data.length === 0
            ? empty('No saga matches.', {dataset: {test: 'no-sagas'}})
            : table(['Id', 'Type', 'Status', 'Priority', 'Labels', 'Step', 'Created', 'Updated'], sagaRows(data),
              {dataset: {test: 'saga-table'}}));
        } catch (e) {
          results.fail(e);
          throw e;
        }
      },
    };
  }

  // ---------------------------------------------------------------- saga page

  /**
   * Details elements that stay open or closed as the person left them when a refresh rebuilds the page: each has a
   * key, and the keeper remembers which keys are open.
   */
  function detailsKeeper() {
    const open = new Set();
    return (key, attrs, ...children) => h('details', Object.assign({open: open.has(key),
      ontoggle: event => (event.currentTarget.open ? open.add(key) : open.delete(key))}, attrs), children);
  }

  /** A request as a participant receives it (secrets redacted), or why it cannot be shown yet. */
  function requestView(request, note, what, key, details) {
    const test = what === 'Compensation request' ? 'compensation-request' : 'step-request';
    if (!request) {
      return note ? h('div', {class: 'request-note small', dataset: {test: `${test}-note`}},
        h('span', {class: 'muted'}, `${what}: not rendered, `), note) : null;
    }
    const headers = Object.entries(request.headers || {});
    return details(key, {class: 'request', dataset: {test}},
      h('summary', {}, `${what} `, h('code', {class: 'method'}, request.method), ' ',
        h('code', {class: 'url', dataset: {test: `${test}-url`}}, request.url)),
      headers.length ? h('dl', {class: 'headers', dataset: {test: `${test}-headers`}},
        headers.map(([name, value]) => [h('dt', {}, name), h('dd', {}, h('code', {}, value))])) : null,
      request.body === null || request.body === undefined
        ? h('p', {class: 'muted small'}, 'No body.')
        : h('pre', {dataset: {test: `${test}-body`}}, json(request.body, 2)));
  }

  /** The step's participant calls, action and compensation, oldest first, with when each retry was due. */
  function callsTable(step) {
    const calls = step.calls || [];
    if (calls.length === 0) return null;
    const runs = new Set(calls.map(c => c.run)).size > 1;
    return h('div', {class: 'calls', dataset: {test: 'step-calls'}},
      h('div', {class: 'calls-title small muted'}, 'Calls',
        step.callsOmitted ? ` (the latest ${calls.length}; ${step.callsOmitted} earlier ones are in the events)` : ''),
      table(['Call', 'Attempt', 'At', 'Status', 'Took', 'Outcome', 'Error', 'Retry due'], calls.map(c => h('tr',
        {dataset: {test: 'call-row', kind: c.kind, attempt: c.attempt, outcome: c.outcome}},
        h('td', {}, c.kind, runs ? h('span', {class: 'muted'}, ` · run ${c.run}`) : null),
        h('td', {class: 'num'}, String(c.attempt)),
        h('td', {class: 'nowrap'}, timeEl(c.at)),
        h('td', {class: 'num'}, c.status === null || c.status === undefined ? '—' : String(c.status)),
        h('td', {class: 'num nowrap'}, formatDuration(c.durationMs)),
        h('td', {}, badge(c.outcome, 'outcome')),
        h('td', {class: 'text'}, c.error ? h('span', {class: 'error-text'}, c.error) : h('span', {class: 'muted'}, '—')),
        h('td', {class: 'nowrap', dataset: {test: 'call-retry-at'}}, c.retryAt ? timeEl(c.retryAt) : h('span', {class: 'muted'}, '—')))),
      {class: 'compact'}));
  }

  function stepTimeline(saga, details) {
    const sagaStart = saga.startedAt ? new Date(saga.startedAt).getTime() : null;
    const sagaEnd = saga.endedAt ? new Date(saga.endedAt).getTime() : Date.now();
    const span = sagaStart ? Math.max(1, sagaEnd - sagaStart) : null;
    return h('ol', {class: 'timeline', dataset: {test: 'step-timeline'}}, saga.steps.map((step, index) => {
      const c = step.compensation || {};
      let bar = null;
      if (span && step.startedAt) {
        const from = Math.max(0, new Date(step.startedAt).getTime() - sagaStart);
        const to = (step.endedAt ? new Date(step.endedAt).getTime() : sagaEnd) - sagaStart;
        bar = h('div', {class: 'bar-track', title: 'When the step ran, within the saga\'s runtime'},
          h('div', {class: `bar status-${token(step.status)}`}));
        const fill = bar.firstChild;
        fill.style.left = `${(100 * from / span).toFixed(2)}%`;
        fill.style.width = `${Math.max(0.8, 100 * (to - from) / span).toFixed(2)}%`;
      }
      const current = saga.currentStep === step.name && !ENDED.has(saga.status);
      return h('li', {class: `step status-${token(step.status)}${current ? ' current' : ''}`, dataset: {test: 'step-row', step: step.name}},
        h('div', {class: 'step-head'},
          h('span', {class: 'step-index'}, String(index + 1)),
          h('code', {class: 'step-name'}, step.name),
          h('span', {dataset: {test: 'step-status'}}, badge(step.status)),
          current ? h('span', {class: 'chip'}, 'current') : null,
          current && saga.nextAttemptAt ? h('span', {class: 'chip', dataset: {test: 'step-next-attempt'}},
            'next attempt ', timeEl(saga.nextAttemptAt)) : null,
          h('span', {class: 'muted small'}, `${step.attempts} attempt${step.attempts === 1 ? '' : 's'}`)),
        h('div', {class: 'step-times small'},
          timeEl(step.startedAt), ' → ', timeEl(step.endedAt),
          step.startedAt ? h('span', {class: 'muted'}, ` (${formatDuration(between(step.startedAt, step.endedAt))}${step.endedAt ? '' : ' so far'})`) : null),
        bar,
        step.lastError ? h('pre', {class: 'error', dataset: {test: 'step-error'}}, step.lastError) : null,
        requestView(step.request, step.requestNote, 'Request', `${step.name}:request`, details),
        step.response !== null && step.response !== undefined
          ? details(`${step.name}:response`, {class: 'response', dataset: {test: 'step-response'}}, h('summary', {}, 'Response'),
            h('pre', {}, json(step.response, 2)))
          : null,
        h('div', {class: 'compensation small'}, 'Compensation: ', h('span', {dataset: {test: 'compensation-status'}}, badge(c.status, 'comp')),
          c.attempts ? h('span', {class: 'muted'}, ` ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}`) : null),
        c.lastError ? h('pre', {class: 'error'}, c.lastError) : null,
        requestView(c.request, c.requestNote, 'Compensation request', `${step.name}:compensation`, details),
        callsTable(step));
    }));
  }

  function sagaSummary(saga, onAction) {
    const item = (term, ...value) => [h('dt', {}, term), h('dd', {}, value)];
    return h('div', {class: 'saga-head'},
      h('dl', {class: 'facts'},
        item('Status', h('span', {dataset: {test: 'saga-status'}}, badge(saga.status))),
        item('Reason', saga.reason ? h('span', {dataset: {test: 'saga-reason'}}, badge(saga.reason, 'reason')) : h('span', {class: 'muted'}, '—')),
        item('Priority', h('span', {dataset: {test: 'saga-priority'}}, String(saga.priority))),
        item('Submitter', h('span', {dataset: {test: 'saga-submitter'}}, saga.submitter || '—')),
        item('Current step', saga.currentStep ? h('code', {}, saga.currentStep) : h('span', {class: 'muted'}, '—')),
        item('Labels', labelChips(saga.labels)),
        item('Trace', saga.traceId ? h('code', {dataset: {test: 'saga-trace'}, title: 'W3C trace id of its participant calls'}, saga.traceId) : h('span', {class: 'muted'}, '—')),
        item('Created', timeEl(saga.createdAt)),
        item('Started', timeEl(saga.startedAt)),
        item('Updated', timeEl(saga.updatedAt)),
        item('Ended', timeEl(saga.endedAt)),
        item('Runtime', saga.startedAt ? `${formatDuration(between(saga.startedAt, saga.endedAt))}${saga.endedAt ? '' : ' so far'}` : '—'),
        item('Next attempt', saga.nextAttemptAt
          ? h('span', {dataset: {test: 'saga-next-attempt'}, title: 'When it runs again by itself: a retry or restart delay, or a lock deadline'},
            timeEl(saga.nextAttemptAt))
          : h('span', {class: 'muted'}, '—')),
        saga.rerunOf ? item('Run again of', h('span', {dataset: {test: 'saga-rerun-of'}}, sagaLink(saga.rerunOf))) : null,
        (saga.reruns || []).length ? item('Run again as', h('span', {dataset: {test: 'saga-reruns'}},
          saga.reruns.map(id => [sagaLink(id), ' ']))) : null),
      h('div', {class: 'saga-actions'},
        may('rerun', saga) ? h('button', {type: 'button', id: 'saga-rerun', class: 'primary',
          title: 'Submit a copy of this saga (its payload and steps) as a new saga',
          onclick: e => onAction('rerun', e.currentTarget)}, 'Run again') : null,
        may('retry', saga) ? h('button', {type: 'button', id: 'saga-retry', title: 'Run the current step again now (or retry a failed compensation)',
          onclick: e => onAction('retry', e.currentTarget)}, 'Retry step') : null,
        may('abort', saga) ? h('button', {type: 'button', id: 'saga-abort', class: 'danger',
          title: 'Compensate the completed steps (reason OPERATOR_ABORT)',
          onclick: e => onAction('abort', e.currentTarget)}, 'Abort') : null));
  }

  function waitingFor(saga) {
    const w = saga.waitingFor;
    if (!w) return null;
    return h('div', {class: 'callout', dataset: {test: 'waiting-for'}},
      h('strong', {}, 'Waiting for '), badge(w.mode, 'mode'), ' on ', h('code', {}, w.resource), ' since ', timeEl(w.since),
      (w.blockedBy || []).length ? [' — blocked by ', w.blockedBy.map(id => [sagaLink(id), ' '])] : null);
  }

  function sagaAlerts(alerts) {
    if (alerts.length === 0) return null;
    return h('div', {class: 'saga-alerts'}, alerts.map(a => h('div', {class: `callout severity-${token(a.severity)}`, dataset: {test: 'saga-alert', kind: a.kind}},
      badge(a.severity, 'severity'), ' ', h('code', {}, a.kind), ' ', badge(a.state, 'state'), ' ', a.summary,
      a.description ? h('div', {class: 'description'}, a.description) : null)));
  }

  function locksTable(locks) {
    if (!locks || locks.length === 0) return empty('No lock held.', {dataset: {test: 'no-locks'}});
    return table(['Resource', 'Mode', 'Granted', 'Fencing token'], locks.map(l => h('tr', {dataset: {test: 'lock-row', resource: l.resource}},
      h('td', {}, h('code', {}, l.resource)), h('td', {}, badge(l.mode, 'mode')), h('td', {}, timeEl(l.grantedAt)),
      h('td', {class: 'num'}, h('code', {}, String(l.fencingToken))))));
  }

  function eventsTable(events) {
    if (events.length === 0) return empty('No events.');
    return table(['At', 'Event', 'Step', 'Detail'], events.map(e => h('tr', {dataset: {test: 'event-row', kind: e.kind}},
      h('td', {class: 'nowrap', dataset: {test: 'event-at'}}, timeEl(e.at)),
      h('td', {}, h('code', {}, e.kind)),
      h('td', {}, e.step ? h('code', {}, e.step) : h('span', {class: 'muted'}, '—')),
      h('td', {}, e.detail === null || e.detail === undefined ? h('span', {class: 'muted'}, '—') : h('pre', {class: 'detail'}, json(e.detail))))),
    {dataset: {test: 'events-table'}});
  }

  function sagaView(root, params) {
    const id = params.id;
    const title = h('h1', {class: 'page-title'}, 'Saga ', h('code', {dataset: {test: 'saga-id'}}, id));
    const typeLine = h('p', {class: 'subtitle', dataset: {test: 'saga-type'}});
    const head = region({id: 'saga-head'});
    const alerts = region({id: 'saga-alerts'});
    const steps = region({id: 'saga-steps'});
    const locks = region({id: 'saga-locks'});
    const events = region({id: 'saga-events'});
    const payload = region({id: 'saga-payload'});
    const details = detailsKeeper();
    const actionMessage = h('p', {class: 'notice', hidden: true, dataset: {test: 'action-message'}});
    root.append(
      h('p', {class: 'crumbs'}, hashLink('#/sagas', '← Sagas')),
      title, typeLine,
      h('section', {class: 'panel'}, head.el, actionMessage, alerts.el),
      section('Payload', {id: 'payload-section'}, payload.el),
      section('Steps', {id: 'steps-section'}, steps.el),
      section('Locks held', {id: 'locks-section'}, locks.el),
      section('Events', {id: 'events-section'}, h('p', {class: 'hint'}, 'The saga\'s history, oldest first.'), events.el));

    const questions = {
      abort: 'Abort this saga? Its completed steps will be compensated.',
      retry: 'Run the current step again now?',
      rerun: 'Run this saga again, as a new saga with the same payload and steps?',
    };
    const names = {abort: 'Abort', retry: 'Retry', rerun: 'Run again'};
    const onAction = async (action, button) => {
      if (!window.confirm(questions[action])) return;
      button.disabled = true;
      try {
        const answer = await api(`/api/v1/sagas/${encodeURIComponent(id)}/${action}`, {method: 'POST', headers: operatorHeaders()});
        if (action === 'rerun' && answer && UUID_RE.test(String(answer.id))) {
          location.hash = sagaHash(answer.id);
          return;
        }
        actionMessage.textContent = action === 'abort' ? 'Abort requested: the saga compensates.' : 'Retry requested.';
        actionMessage.className = 'notice ok';
      } catch (e) {
        actionMessage.textContent = `${names[action]} refused: ${e.message}`;
        actionMessage.className = 'notice error-text';
      }
      actionMessage.hidden = false;
      head.reset();
      await refresh(true);
    };

    return {
      title: 'Saga ' + shortId(id),
      nav: 'sagas',
      refresh: async () => {
        let saga;
        try {
          saga = await api('/api/v1/sagas/' + encodeURIComponent(id));
        } catch (e) {
          head.fail(e);
          throw e;
        }
        typeLine.textContent = `${saga.type} · priority ${saga.priority}`;
        head.show(saga, s => sagaSummary(s, onAction));
        payload.show(saga.payload, p => p === null || p === undefined
          ? empty('No payload.', {dataset: {test: 'no-payload'}})
          : h('pre', {class: 'payload', dataset: {test: 'saga-payload'}}, json(p, 2)));
        steps.show(saga, s => [waitingFor(s), stepTimeline(s, details)]);
        locks.show(saga.locks, locksTable);
        const [history, unresolved] = await Promise.all([
          api(`/api/v1/sagas/${encodeURIComponent(id)}/events`).catch(e => { events.fail(e); return null; }),
          unresolvedAlerts().catch(() => []),
        ]);
        if (history) events.show(history, eventsTable);
        alerts.show(unresolved.filter(a => a.sagaId === id), sagaAlerts);
      },
    };
  }

  // ---------------------------------------------------------------- graph drawing

  /**
   * Draws sagas as boxes on a circle and waits as curved arrows from waiter to holder, labelled with the
   * resource and the modes; SOFT edges are dashed, the victim (or any marked node) is highlighted.
   */
  function drawGraph(graph, attrs) {
    const nodes = graph.nodes;
    const n = nodes.length;
    const big = n <= 8;
    const box = big ? {w: 178, h: 62} : {w: 116, h: 40};
    const radius = n <= 1 ? 0 : n === 2 ? 220 : Math.max(210, (n * (box.w + 70)) / (2 * Math.PI));
    // Room around the circle for the edge labels, which sit outside the arrows.
    const width = n === 2 ? 2 * radius + box.w + 120 : Math.max(720, 2 * radius + box.w + 260);
    const height = n === 2 ? 320 : Math.max(420, 2 * radius + box.h + 190);
    const cx = width / 2;
    const cy = height / 2 + (n === 2 ? 0 : 10);
    const start = n === 2 ? Math.PI : -Math.PI / 2;
    const position = new Map();
    nodes.forEach((node, i) => {
      const angle = start + (2 * Math.PI * i) / Math.max(1, n);
      position.set(node.id, {x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle)});
    });
    const uid = 'g' + Math.random().toString(36).slice(2, 8);
    const root = svg('svg', Object.assign({viewBox: `0 0 ${Math.round(width)} ${Math.round(height)}`, class: 'graph',
      role: 'img', 'aria-label': graph.label || 'wait-for graph', preserveAspectRatio: 'xMidYMid meet'}, attrs || {}));
    root.append(svg('defs', {},
      ['hard', 'soft'].map(kind => svg('marker', {id: `${uid}-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5,
        markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse'},
      svg('path', {d: 'M0,0 L10,5 L0,10 z', class: `arrow-head ${kind}`})))));

    // An edge bends away from the circle's centre, so the labels sit outside where there is room; A→B and
    // B→A bend to opposite sides (the normal flips with the direction), several edges A→B bend further out.
    const pairs = new Set(graph.edges.map(e => e.from + '>' + e.to));
    const seen = new Map();
    const edgeLayer = svg('g', {class: 'edges'});
    const labelLayer = svg('g', {class: 'edge-labels'});
    for (const edge of graph.edges) {
      const a = position.get(edge.from);
      const b = position.get(edge.to);
      if (!a || !b) continue;
      const key = edge.from + '>' + edge.to;
      const k = seen.get(key) || 0;
      seen.set(key, k + 1);
      let d;
      let labelAt;
      if (edge.from === edge.to) {
        const top = {x: a.x, y: a.y - box.h / 2};
        d = `M${top.x - 20},${top.y} C${top.x - 60},${top.y - 80} ${top.x + 60},${top.y - 80} ${top.x + 20},${top.y}`;
        labelAt = {x: top.x, y: top.y - 70, nx: 0, ny: -1};
      } else {
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        let nx = -dy / len;
        let ny = dx / len;
        const mx = (a.x + b.x) / 2 - cx;
        const my = (a.y + b.y) / 2 - cy;
        if (!pairs.has(edge.to + '>' + edge.from) && nx * mx + ny * my < 0) {
          nx = -nx;
          ny = -ny;
        }
        const bend = (n === 2 ? 70 : 40) + 36 * k;
        const c = {x: (a.x + b.x) / 2 + nx * bend, y: (a.y + b.y) / 2 + ny * bend};
        const s = boxExit(a, c, box);
        const e = boxExit(b, c, box, 6);
        d = `M${s.x.toFixed(1)},${s.y.toFixed(1)} Q${c.x.toFixed(1)},${c.y.toFixed(1)} ${e.x.toFixed(1)},${e.y.toFixed(1)}`;
        labelAt = {x: 0.25 * s.x + 0.5 * c.x + 0.25 * e.x, y: 0.25 * s.y + 0.5 * c.y + 0.25 * e.y, nx, ny};
      }
      const kind = edge.soft ? 'soft' : 'hard';
      edgeLayer.append(svg('path', {d, class: `edge ${kind}`, 'marker-end': `url(#${uid}-${kind})`,
        dataset: {test: 'graph-edge', kind: edge.soft ? 'SOFT' : 'HARD', from: edge.from, to: edge.to}},
      svg('title', {}, edge.title || '')));
      // Two lines of label beside the curve, on its outer side: below it, above it, or level with it.
      const lx = labelAt.x + labelAt.nx * 10;
      const ly = labelAt.y + labelAt.ny * 10;
      const anchor = Math.abs(labelAt.nx) > 0.6 ? (labelAt.nx > 0 ? 'start' : 'end') : 'middle';
      const firstLine = labelAt.ny > 0.3 ? ly + 10 : labelAt.ny < -0.3 ? ly - 19 : ly - 4;
      labelLayer.append(svg('text', {x: lx.toFixed(1), y: firstLine.toFixed(1), class: 'edge-label', 'text-anchor': anchor},
        svg('tspan', {x: lx.toFixed(1), class: 'resource'}, truncate(edge.label1, 34)),
        svg('tspan', {x: lx.toFixed(1), dy: '1.25em', class: 'modes'}, truncate(edge.label2, 40))));
    }

    const nodeLayer = svg('g', {class: 'nodes'});
    for (const node of nodes) {
      const p = position.get(node.id);
      const classes = ['node'];
      if (node.victim) classes.push('victim');
      if (node.marked) classes.push('marked');
      const group = svg('g', {class: classes.join(' '), transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`,
        dataset: {test: 'graph-node', sagaId: node.id, victim: String(Boolean(node.victim))}},
      svg('title', {}, node.title || node.id),
      svg('rect', {x: -box.w / 2, y: -box.h / 2, width: box.w, height: box.h, rx: 10, ry: 10}),
      svg('text', {class: 'node-label', 'text-anchor': 'middle', y: big ? -10 : -3}, truncate(node.label, big ? 24 : 15)),
      svg('text', {class: 'node-sub', 'text-anchor': 'middle', y: big ? 8 : 12}, truncate(node.sub, big ? 30 : 18)),
      big && node.sub2 ? svg('text', {class: 'node-sub2', 'text-anchor': 'middle', y: 24}, truncate(node.sub2, 30)) : null,
      node.victim ? svg('g', {class: 'victim-tag', transform: `translate(0,${-box.h / 2 - 4})`},
        svg('rect', {x: -30, y: -16, width: 60, height: 18, rx: 9, ry: 9}),
        svg('text', {'text-anchor': 'middle', y: -3}, 'VICTIM')) : null);
      nodeLayer.append(node.href ? svg('a', {href: node.href, class: 'node-link'}, group) : group);
    }
    root.append(edgeLayer, nodeLayer, labelLayer);
    return root;
  }

  /** Where the line from a box's centre towards {@code toward} leaves the box (plus a gap). */
  function boxExit(center, toward, box, gap) {
    const dx = toward.x - center.x;
    const dy = toward.y - center.y;
    const halfW = box.w / 2 + (gap || 2);
    const halfH = box.h / 2 + (gap || 2);
    const scale = Math.min(dx === 0 ? Infinity : halfW / Math.abs(dx), dy === 0 ? Infinity : halfH / Math.abs(dy));
    if (!Number.isFinite(scale)) return {x: center.x, y: center.y};
    return {x: center.x + dx * Math.min(1, scale), y: center.y + dy * Math.min(1, scale)};
  }

  function truncate(text, max) {
    const s = text === null || text === undefined ? '' : String(text);
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  function edgeText(e) {
    const modes = e.kind === 'SOFT'
      ? `wants ${e.requestedMode}, queued behind ${e.heldMode}`
      : `wants ${e.requestedMode}, held ${e.heldMode}`;
    return {
      label1: e.resource,
      label2: modes,
      soft: e.kind === 'SOFT',
      title: `${e.waiter} waits for ${e.requestedMode} on ${e.resource}, ${e.kind === 'SOFT' ? 'queued behind' : 'held by'} ${e.holder}`
        + ` (${e.heldMode}) since ${e.waitingSince || '?'}`,
    };
  }

  function legend(markLabel, markClass) {
    return h('div', {class: 'legend small'},
      h('span', {class: 'key hard'}, 'waits for (lock held)'),
      h('span', {class: 'key soft'}, 'waits behind (queued ahead)'),
      h('span', {class: `key ${markClass}`}, markLabel));
  }

  // ---------------------------------------------------------------- deadlock page and list

  function deadlockGraph(deadlock, infos) {
    const cycle = Array.isArray(deadlock.cycle) ? deadlock.cycle : [];
    const victim = deadlock.victim || {};
    const ids = [];
    for (const e of cycle) {
      if (!ids.includes(e.waiter)) ids.push(e.waiter);
      if (!ids.includes(e.holder)) ids.push(e.holder);
    }
    const nodes = ids.map(id => {
      const info = infos.get(id) || {};
      const isVictim = id === victim.sagaId;
      const type = isVictim ? victim.type : info.type;
      const priority = isVictim ? victim.priority : info.priority;
      return {
        id, victim: isVictim, href: sagaHash(id),
        label: type || 'saga',
        sub: `${shortId(id)} · priority ${priority === undefined || priority === null ? '?' : priority}`,
        sub2: info.status ? `now ${info.status}` : '',
        title: `${type || 'saga'} ${id}${isVictim ? ' (victim)' : ''}`,
      };
    });
    const edges = cycle.map(e => Object.assign({from: e.waiter, to: e.holder}, edgeText(e)));
    return drawGraph({nodes, edges, label: `Deadlock cycle of ${ids.length} sagas`},
      {id: 'deadlock-svg', dataset: {test: 'deadlock-svg'}});
  }

  function deadlockView(root, params) {
    const id = params.id;
    const body = region({id: 'deadlock-body'});
    root.append(
      h('p', {class: 'crumbs'}, hashLink('#/deadlocks', '← Deadlocks')),
      h('h1', {class: 'page-title'}, 'Deadlock ', h('code', {}, id)),
      body.el);
    return {
      title: 'Deadlock ' + shortId(id),
      nav: 'deadlocks',
      refresh: async () => {
        let deadlock;
        try {
          deadlock = await api('/api/v1/deadlocks/' + encodeURIComponent(id));
        } catch (e) {
          body.fail(e);
          throw e;
        }
        const cycle = Array.isArray(deadlock.cycle) ? deadlock.cycle : [];
        const infos = await sagaInfos(cycle.flatMap(e => [e.waiter, e.holder]));
        const statuses = Object.fromEntries([...infos.entries()].map(([k, v]) => [k, v.status]));
        body.show({deadlock, statuses}, () => {
          const victim = deadlock.victim || {};
          return [
            h('p', {class: 'subtitle'}, 'Detected ', timeEl(deadlock.detectedAt), ' · ', `${cycle.length} waits in the cycle`, ' · resolution ',
              badge(deadlock.resolution, 'resolution')),
            h('div', {class: 'deadlock-layout'},
              h('figure', {class: 'panel figure'}, deadlockGraph(deadlock, infos),
                h('figcaption', {}, legend('victim: aborted and compensated', 'victim'))),
              h('aside', {class: 'panel victim-card', dataset: {test: 'victim'}},
                h('h2', {}, 'Victim'),
                h('dl', {class: 'facts single'},
                  h('dt', {}, 'Saga'), h('dd', {}, sagaLink(victim.sagaId, {dataset: {test: 'victim-link'}})),
                  h('dt', {}, 'Type'), h('dd', {}, victim.type || '—'),
                  h('dt', {}, 'Priority'), h('dd', {}, String(victim.priority)),
                  h('dt', {}, 'Had run for'), h('dd', {}, isoDuration(victim.runningFor)),
                  h('dt', {}, 'Now'), h('dd', {}, infos.get(victim.sagaId) && infos.get(victim.sagaId).status ? badge(infos.get(victim.sagaId).status) : '—'),
                  h('dt', {}, 'Why'), h('dd', {}, victim.why || '—')))),
            section('What happened', {}, h('p', {class: 'report', dataset: {test: 'deadlock-text'}}, deadlock.text || '')),
            section('The cycle', {}, table(['Waiter', 'Waits for', 'On', 'Held by', 'Holding', 'Kind', 'Waiting since'],
              cycle.map(e => h('tr', {dataset: {test: 'cycle-edge'}},
                h('td', {}, sagaLink(e.waiter)), h('td', {}, badge(e.requestedMode, 'mode')), h('td', {}, h('code', {}, e.resource)),
                h('td', {}, sagaLink(e.holder)), h('td', {}, badge(e.heldMode, 'mode')), h('td', {}, badge(e.kind, 'kind')),
                h('td', {}, timeEl(e.waitingSince))))))];
        });
      },
    };
  }

  function deadlocksView(root) {
    const list = region({id: 'deadlock-list'});
    const more = h('button', {type: 'button', class: 'quiet', hidden: true, id: 'deadlock-more'}, 'Load more');
    let pages = 1;
    more.addEventListener('click', () => {
      pages += 1;
      refresh(true);
    });
    root.append(section('Deadlocks', {id: 'all-deadlocks'},
      h('p', {class: 'hint'}, 'Every deadlock the detector found, newest first. Open one to see its cycle.'), list.el, more));
    return {
      title: 'Deadlocks',
      nav: 'deadlocks',
      refresh: async () => {
        try {
          let items = [];
          let cursor = null;
          for (let i = 0; i < pages; i++) {
            const page = await api('/api/v1/deadlocks' + query({limit: 50, cursor}));
            items = items.concat(page.items);
            cursor = page.nextCursor;
            if (!cursor) break;
          }
          more.hidden = !cursor;
          list.show(items, deadlocksTable);
        } catch (e) {
          list.fail(e);
          throw e;
        }
      },
    };
  }

  // ---------------------------------------------------------------- locks and the live wait-for graph

  function locksView(root) {
    const graph = region({id: 'live-graph'});
    const held = region({id: 'held-locks'});
    const waiting = region({id: 'waiting-locks'});
    root.append(
      h('section', {class: 'panel'},
        h('div', {class: 'panel-head'}, h('h2', {}, 'Wait-for graph, now'),
          h('a', {href: '/api/v1/wait-for-graph?format=dot', target: '_blank', rel: 'noopener'}, 'as Graphviz DOT')),
        h('p', {class: 'hint'}, 'An arrow goes from a waiting saga to the saga it waits for. Sagas on a cycle are deadlocked until the detector resolves it.'),
        graph.el),
      section('Waiting', {}, waiting.el),
      section('Held', {}, held.el));
    return {
      title: 'Locks & waits',
      nav: 'locks',
      refresh: async () => {
        const [g, locks] = await Promise.all([
          // The picture holds 60 sagas at most: ask for no more edges than it could draw (deadlocks come first).
          api('/api/v1/wait-for-graph?format=json&limit=500').catch(e => { graph.fail(e); return null; }),
          api('/api/v1/locks?limit=1000').catch(e => { held.fail(e); waiting.fail(e); return null; }),
        ]);
        if (g) {
          graph.show(g, data => {
            if (!data.edges || data.edges.length === 0) return empty('Nobody waits.', {dataset: {test: 'no-waits'}});
            const shown = data.nodes.slice(0, 60);
            const ids = new Set(shown.map(x => x.sagaId));
            return [
              data.nodes.length > shown.length || data.truncated
                ? h('p', {class: 'hint'}, `Showing ${shown.length} sagas; the graph has ${data.edgeCount} waits in all.`) : null,
              drawGraph({
                label: 'Current wait-for graph',
                nodes: shown.map(x => ({id: x.sagaId, marked: x.deadlocked, href: sagaHash(x.sagaId), label: x.type || 'saga',
                  sub: `${shortId(x.sagaId)} · p${x.priority === null ? '?' : x.priority}`, sub2: x.deadlocked ? 'on a cycle' : '',
                  title: `${x.type} ${x.sagaId}`})),
                edges: data.edges.filter(e => ids.has(e.waiter) && ids.has(e.holder))
                  .map(e => Object.assign({from: e.waiter, to: e.holder}, edgeText(e))),
              }, {id: 'live-graph-svg', dataset: {test: 'live-graph-svg'}}),
              legend('on a cycle (deadlocked)', 'marked')];
          });
        }
        if (locks) {
          waiting.show(locks.waiting, rows => rows.length === 0 ? empty('No saga waits for a lock.') : table(
            ['Resource', 'Saga', 'Wants', 'Upgrade', 'Queued', 'Place', 'Blocked by'], rows.map(w => h('tr', {dataset: {test: 'wait-row'}},
              h('td', {}, h('code', {}, w.resource)), h('td', {}, sagaLink(w.sagaId)), h('td', {}, badge(w.mode, 'mode')),
              h('td', {}, w.upgrade ? 'yes' : ''), h('td', {}, timeEl(w.queuedAt)), h('td', {class: 'num'}, String(w.position)),
              h('td', {}, blockerLinks(w))))));
          held.show(locks.held, rows => rows.length === 0 ? empty('No lock is held.') : table(
            ['Resource', 'Saga', 'Mode', 'Granted', 'Fencing token'], rows.map(l => h('tr', {dataset: {test: 'held-row'}},
              h('td', {}, h('code', {}, l.resource)), h('td', {}, sagaLink(l.sagaId)), h('td', {}, badge(l.mode, 'mode')),
              h('td', {}, timeEl(l.grantedAt)), h('td', {class: 'num'}, h('code', {}, String(l.fencingToken)))))));
        }
        if (!g || !locks) throw new Error('could not load locks');
      },
    };
  }

  // ---------------------------------------------------------------- routing

  function notFound(root) {
    root.append(section('Not found', {}, empty('There is nothing at this address. '), hashLink('#/', 'Back to the overview')));
    return {title: 'Not found', nav: null, refresh: async () => {}};
  }

  function route(hash) {
    const raw = hash.replace(/^#/, '') || '/';
    const [path, search] = raw.split('?');
    const params = new URLSearchParams(search || '');
    let m;
    if (path === '/' || path === '') return [overviewView, params];
    if (path === '/sagas') return [searchView, params];
    if ((m = /^\/sagas\/([^/]+)$/.exec(path)) && UUID_RE.test(decodeURIComponent(m[1]))) {
      params.id = decodeURIComponent(m[1]).toLowerCase();
      return [sagaView, params];
    }
    if (path === '/deadlocks') return [deadlocksView, params];
    if ((m = /^\/deadlocks\/([^/]+)$/.exec(path)) && UUID_RE.test(decodeURIComponent(m[1]))) {
      params.id = decodeURIComponent(m[1]).toLowerCase();
      return [deadlockView, params];
    }
    if (path === '/locks') return [locksView, params];
    return [notFound, params];
  }

  function mount() {
    const [view, params] = route(location.hash);
    const root = document.getElementById('view');
    root.replaceChildren();
    delete root.dataset.loaded;
    banner(null);
    state.view = view(root, params);
    root.dataset.route = state.view.nav || 'none';
    document.title = `${state.view.title} · Saga Warden`;
    for (const link of document.querySelectorAll('[data-nav]')) {
      link.classList.toggle('active', link.dataset.nav === state.view.nav);
    }
    window.scrollTo(0, 0);
    refresh(true);
  }

  /** Who is at the console: logged in through the provider, or nobody in particular while security is off. */
  function showWho(who) {
    state.who = who;
    document.getElementById('open-banner').hidden = !who.open;
    document.getElementById('operator').hidden = !who.open;
    document.getElementById('who').hidden = who.open;
    document.body.dataset.roles = who.roles.join(' ');
    if (!who.open) {
      document.getElementById('who-name').textContent = who.user;
      document.getElementById('who-roles').textContent = who.roles.length
        ? who.roles.map(r => r.replace(/^saga-/, '')).join(', ') : 'no Saga Warden role';
      document.getElementById('logout').addEventListener('click', () => sagaWardenLogin.logout());
    }
  }

  async function start() {
    try {
      consoleSession = await sagaWardenLogin.start();
      showWho(consoleSession);
    } catch (e) {
      banner(`Could not log in: ${e.message}`);
      return;
    }
    const operator = document.getElementById('operator-name');
    try {
      operator.value = localStorage.getItem(OPERATOR_KEY) || '';
    } catch (e) {
      // storage may be unavailable (private mode); the name is then asked for again
    }
    operator.addEventListener('change', () => {
      try {
        localStorage.setItem(OPERATOR_KEY, operator.value.trim());
      } catch (e) {
        // not remembered, still used
      }
    });
    const noteInput = event => {
      if (isField(event.target)) {
        state.lastInputAt = Date.now();
        showStatus();
      }
    };
    document.addEventListener('input', noteInput, true);
    document.addEventListener('keydown', noteInput, true);
    document.addEventListener('focusout', () => setTimeout(showStatus, 0), true);
    document.getElementById('refresh-toggle').addEventListener('click', () => {
      state.userPaused = !state.userPaused;
      if (!state.userPaused) refresh(true); else showStatus();
    });
    document.getElementById('refresh-now').addEventListener('click', () => refresh(true));
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refresh(false);
    });
    window.addEventListener('hashchange', mount);
    setInterval(() => refresh(false), REFRESH_MS);
    mount();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
