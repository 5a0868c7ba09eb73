// Saga Warden console login: the OpenID Connect authorization code flow with PKCE, run in the page.
// The tokens stay in this tab's sessionStorage and reach the API only as bearer tokens; no cookie carries them, so
// a request another site makes the browser send cannot act. The roles shown here only decide which buttons appear:
// the API decides what is allowed.
'use strict';

window.sagaWardenLogin = (() => {
  const SESSION_KEY = 'sagaWarden.session';
  const PENDING_KEY = 'sagaWarden.pendingLogin';
  const RENEW_BEFORE_MS = 30000;
  const ALL_ROLES = ['saga-submitter', 'saga-viewer', 'saga-operator'];

  let settings = null;
  let provider = null;

  async function json(url, options) {
    const response = await fetch(url, Object.assign({cache: 'no-store'}, options || {}));
    if (!response.ok) {
      let detail = '';
      try {
        const body = await response.json();
        detail = body.error_description || body.error || body.detail || '';
      } catch (e) {
        // no JSON body to explain it
      }
      throw new Error(`${url.split('?')[0]} answered HTTP ${response.status}${detail ? ': ' + detail : ''}`);
    }
    return response.json();
  }

  function base64url(bytes) {
    return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomText(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size)));
  }

  function claims(jwt) {
    const part = String(jwt || '').split('.')[1] || '';
    const text = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(decodeURIComponent(Array.from(text, c => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')));
  }

  function redirectUri() {
    return location.origin + location.pathname;
  }

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    } catch (e) {
      return null;
    }
  }

  function keep(tokens) {
    const c = claims(tokens.access_token);
    const session = {
      access: tokens.access_token,
      refresh: tokens.refresh_token || null,
      idToken: tokens.id_token || null,
      expiresAt: Date.now() + Number(tokens.expires_in || 60) * 1000,
      user: c.preferred_username || c.sub,
      roles: ((c.realm_access || {}).roles || []).filter(r => ALL_ROLES.includes(r)),
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }

  function tokens(form) {
    return json(provider.token_endpoint, {
      method: 'POST',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams(Object.assign({client_id: settings.clientId}, form)),
    });
  }

  /** Leaves for the provider's login page; the page comes back with ?code=…&state=… */
  async function login() {
    const verifier = randomText(48);
    const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const state = randomText(16);
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({state, verifier, returnTo: location.hash}));
    const url = new URL(provider.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: settings.clientId, redirect_uri: redirectUri(), scope: 'openid',
      state, code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
    return new Promise(() => {});
  }

  async function finishLogin(params) {
    const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
    sessionStorage.removeItem(PENDING_KEY);
    history.replaceState(null, '', location.pathname + ((pending && pending.returnTo) || ''));
    if (params.has('error')) {
      throw new Error(`the login was refused: ${params.get('error_description') || params.get('error')}`);
    }
    if (!pending || params.get('state') !== pending.state) {
      throw new Error('the login answer does not belong to a login this tab started; log in again');
    }
    keep(await tokens({grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      code_verifier: pending.verifier}));
  }

  /**
   * Reads the console's settings and, when the API asks for tokens, makes sure someone is logged in.
   * Resolves to {open: true} with security off, else to {open: false, user, roles}.
   */
  async function start() {
    settings = await json('/console/settings');
    const demoSagas = Boolean(settings.demoSagas);
    if (!settings.security) return {open: true, user: null, roles: ALL_ROLES, demoSagas};
    provider = await json(settings.provider.replace(/\/$/, '') + '/.well-known/openid-configuration');
    const params = new URLSearchParams(location.search);
    if (params.has('code') || params.has('error')) await finishLogin(params);
    const session = load();
    if (!session) return login();
    return {open: false, user: session.user, roles: session.roles, demoSagas};
  }

  /** The Authorization header of an API call: renewed shortly before it expires, or a new login when it cannot be. */
  async function authorization() {
    if (!settings || !settings.security) return {};
    let session = load();
    if (session && Date.now() > session.expiresAt - RENEW_BEFORE_MS) {
      try {
        session = session.refresh ? keep(await tokens({grant_type: 'refresh_token', refresh_token: session.refresh})) : null;
      } catch (e) {
        session = null;
      }
    }
    if (!session) {
      sessionStorage.removeItem(SESSION_KEY);
      return login();
    }
    return {Authorization: 'Bearer ' + session.access};
  }

  /** The API refused the token (revoked, or the provider's keys changed): log in again. */
  function refused() {
    sessionStorage.removeItem(SESSION_KEY);
    return login();
  }

  function logout() {
    const session = load();
    sessionStorage.removeItem(SESSION_KEY);
    if (provider && provider.end_session_endpoint) {
      const url = new URL(provider.end_session_endpoint);
      url.search = new URLSearchParams(Object.assign({client_id: settings.clientId, post_logout_redirect_uri: redirectUri()},
        session && session.idToken ? {id_token_hint: session.idToken} : {})).toString();
      location.assign(url.toString());
    } else {
      location.reload();
    }
  }

  return {start, authorization, refused, logout};
})();
