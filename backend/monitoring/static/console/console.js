/*
 * The live alert console (实时预警台).
 *
 * Everything comes from the staff API and the console websocket (protocol documented in
 * backend/monitoring/consumers.py). The map is Leaflet (served from this server, as are its
 * styles); nothing is loaded from elsewhere unless MAP_TILE_URL configures a base layer of tiles.
 *
 * window.consoleState exposes the live state so that tests and operators can inspect it.
 */
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const T = cfg.text;
  const LABELS = cfg.labels;
  const PAGE_SIZE = 100;
  const MAX_PAGES = 20;
  const RECONNECT_MAX_S = 15;
  const PING_EVERY_MS = 25000;
  const FLASH_MS = 8000;
  const RESOLVED_LINGER_MS = 2500;

  const state = {
    user: null,
    csrf: null,
    ws: null,
    connected: false, // socket open and hello received
    live: false, // replay finished: events now arrive as they happen
    lastSeq: 0,
    alerts: new Map(), // id -> alert (open and acknowledged ones)
    positions: new Map(), // subject id -> latest position
    offices: [],
    zones: [],
    filter: "all",
    selectedAlertId: null,
    selectedSubjectId: null,
    track: [],
    focusPoint: null,
    unseen: 0,
    reconnectAttempt: 0,
    reconnects: 0,
    stopped: true,
    sound: localStorage.getItem("console.sound") !== "off",
    map: null, // the Leaflet map, once the console has been shown
    fitted: false, // the map was fitted to the offices once they were known
    loads: 0,
  };
  window.consoleState = state;

  const $ = (id) => document.getElementById(id);
  const els = {
    body: document.body,
    boot: $("boot"),
    login: $("login"),
    loginForm: $("login-form"),
    loginUser: $("login-username"),
    loginPass: $("login-password"),
    loginOtp: $("login-otp"),
    loginError: $("login-error"),
    loginSubmit: $("login-submit"),
    app: $("app"),
    userBox: $("user-box"),
    userName: $("user-name"),
    userOffice: $("user-office"),
    userInitial: $("user-initial"),
    logout: $("logout"),
    sound: $("sound-toggle"),
    conn: $("conn"),
    connText: $("conn-text"),
    list: $("alert-list"),
    empty: $("alerts-empty"),
    count: $("alert-count"),
    map: $("map"),
    stats: $("map-stats"),
    personCard: $("person-card"),
    personName: $("person-name"),
    personMeta: $("person-meta"),
    dialog: $("resolve-dialog"),
    resolveForm: $("resolve-form"),
    resolveSummary: $("resolve-summary"),
    resolveResolution: $("resolve-resolution"),
    resolveNote: $("resolve-note"),
    resolveError: $("resolve-error"),
    resolveSubmit: $("resolve-submit"),
    toast: $("toast"),
  };

  // -------------------------------------------------------------------------------------------
  // Small helpers
  // -------------------------------------------------------------------------------------------

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function getCookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function csrfToken() {
    // Django rotates the token at login; the cookie always holds the current one.
    return getCookie("csrftoken") || state.csrf || "";
  }

  const timeFormat = new Intl.DateTimeFormat(cfg.locale, {
    timeZone: cfg.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false,
  });
  const fullTimeFormat = new Intl.DateTimeFormat(cfg.locale, {
    timeZone: cfg.timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short",
  });

  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : timeFormat.format(d);
  }

  function fmtFullTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : fullTimeFormat.format(d);
  }

  let toastTimer = null;
  function toast(message, kind) {
    els.toast.textContent = message;
    els.toast.className = "toast" + (kind ? " toast--" + kind : "");
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { els.toast.hidden = true; }, 3500);
  }

  // -------------------------------------------------------------------------------------------
  // API
  // -------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, data) {
      super((data && data.detail) || T.error + " (" + status + ")");
      this.status = status;
      this.data = data;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const method = opts.method || "GET";
    const headers = { Accept: "application/json" };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    const response = await fetch(cfg.api + path, {
      method, headers, credentials: "same-origin",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (e) { data = null; }
    }
    if (!response.ok) {
      if (response.status === 401 && state.user && !opts.noAuthRedirect) {
        sessionExpired();
      }
      throw new ApiError(response.status, data);
    }
    return data;
  }

  /** Every page of a limit/offset list endpoint (capped), as one array. */
  async function apiAll(path) {
    const sep = path.includes("?") ? "&" : "?";
    const rows = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await api(path + sep + "limit=" + PAGE_SIZE + "&offset=" + page * PAGE_SIZE);
      const results = Array.isArray(data) ? data : (data.results || []);
      rows.push(...results);
      if (Array.isArray(data) || !data.next || results.length < PAGE_SIZE) break;
    }
    return rows;
  }

  function errorText(err) {
    if (err && err.data && err.data.errors) {
      const first = Object.values(err.data.errors)[0];
      if (first && first.length) return first[0];
    }
    return (err && err.message) || T.error;
  }

  // -------------------------------------------------------------------------------------------
  // Login, logout, start
  // -------------------------------------------------------------------------------------------

  function showLogin(message) {
    stopSocket();
    state.user = null;
    els.body.classList.remove("is-booting");
    els.boot.hidden = true;
    els.app.hidden = true;
    els.userBox.hidden = true;
    els.conn.hidden = true;
    els.login.hidden = false;
    setConn("off");
    if (message) {
      els.loginError.textContent = message;
      els.loginError.hidden = false;
    }
    setTimeout(() => els.loginUser.focus(), 0);
  }

  function sessionExpired() {
    state.alerts.clear();
    showLogin(T.session_expired);
  }

  els.loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    unlockAudio();
    const username = els.loginUser.value.trim();
    const password = els.loginPass.value;
    if (!username || !password) {
      els.loginError.textContent = T.login_failed;
      els.loginError.hidden = false;
      return;
    }
    els.loginError.hidden = true;
    els.loginSubmit.disabled = true;
    els.loginSubmit.textContent = T.logging_in;
    try {
      // The authenticator app's code (TOTP), the second factor every staff sign-in needs.
      const otp_token = els.loginOtp.value.trim();
      const answer = await api("/auth/login", { method: "POST", body: { username, password, otp_token }, noAuthRedirect: true });
      state.csrf = answer.csrf_token;
      els.loginPass.value = "";
      els.loginOtp.value = "";
      await start(answer.user);
    } catch (err) {
      els.loginError.textContent = T.login_failed + "：" + errorText(err);
      els.loginError.hidden = false;
    } finally {
      els.loginSubmit.disabled = false;
      els.loginSubmit.textContent = T.login;
    }
  });

  els.logout.addEventListener("click", async () => {
    try { await api("/auth/logout", { method: "POST", noAuthRedirect: true }); } catch (e) { /* gone already */ }
    sessionStorage.removeItem(seqKey());
    state.alerts.clear();
    state.positions.clear();
    state.selectedAlertId = state.selectedSubjectId = null;
    state.track = [];
    state.unseen = 0;
    updateTitle();
    showLogin();
  });

  async function start(user) {
    state.user = user;
    state.stopped = false;
    state.alerts.clear();
    state.lastSeq = 0;
    els.body.classList.remove("is-booting");
    els.boot.hidden = true;
    els.login.hidden = true;
    els.app.hidden = false;
    els.userBox.hidden = false;
    els.conn.hidden = false;
    const name = user.display_name || user.username;
    els.userName.textContent = name;
    els.userInitial.textContent = name.slice(0, 1);
    els.userOffice.textContent = user.bureau_wide ? (user.office_name || T.county) + " · " + T.county
      : (user.office_name || "");
    els.body.classList.toggle("is-read-only", !!user.read_only);
    ensureMap();
    initScreening(user);
    await Promise.all([loadMapData().catch(reportError), loadAlerts().catch(reportError)]);
    connect();
  }

  // -------------------------------------------------------------------------------------------
  // Quarterly risk screening: start one, its progress bar (live events, not replayed), its end
  // (a stored console event, replayed like alerts)
  // -------------------------------------------------------------------------------------------

  const SCREENING_TEXT = {
    "zh-hans": { start: "发起季度风险排查", queued: "风险排查排队中", running: "风险排查进行中",
      finished: "风险排查完成", started: "已发起风险排查", people: "人", high: "人高风险",
      review: "人需复核", ledger: "下载台账" },
    en: { start: "Start quarterly risk screening", queued: "Risk screening queued",
      running: "Risk screening running", finished: "Risk screening finished", started: "Risk screening started",
      people: "people", high: "high risk", review: "to review", ledger: "Download the ledger" },
  };
  const ST = SCREENING_TEXT[cfg.lang] || SCREENING_TEXT["zh-hans"];
  const SCREENING_STARTERS = new Set(["office_head", "bureau_staff", "bureau_head", "sysadmin"]);
  const screening = { id: null, status: null, done: 0, total: 0, announced: new Set(), hideTimer: null };
  state.screening = screening;

  function initScreening(user) {
    const button = $("screening-start");
    $("screening").hidden = false;
    button.textContent = ST.start;
    button.hidden = !!user.read_only || !SCREENING_STARTERS.has(user.role);
    button.onclick = async () => {
      button.disabled = true;
      try {
        const run = await api("/screenings", { method: "POST", body: {} });
        toast(ST.started + " " + run.quarter);
        showScreening(run);
      } catch (err) {
        reportError(err);
      } finally {
        button.disabled = false;
      }
    };
    // A run under way when the console opens: its state from the API, then the live events.
    api("/screenings?status=running&limit=1")
      .then((data) => { const run = (data.results || [])[0]; if (run) showScreening(run); })
      .catch(() => {});
  }

  function showScreening(run) {
    if (screening.id !== null && run.id < screening.id && screening.status !== "finished") return;
    Object.assign(screening, { id: run.id, status: run.status, done: run.done, total: run.total });
    const pct = run.status === "finished" ? 100 : run.total ? Math.floor((100 * run.done) / run.total) : 0;
    const bar = $("screening-bar");
    bar.hidden = false;
    bar.setAttribute("aria-valuenow", String(pct));
    $("screening-fill").style.width = pct + "%";
    $("screening").dataset.status = run.status;
    $("screening-label").textContent = (ST[run.status] || ST.running) + " " + run.quarter + " · "
      + run.done + "/" + run.total + " " + ST.people;
    clearTimeout(screening.hideTimer);
    if (run.status === "finished") screening.hideTimer = setTimeout(() => { bar.hidden = true; }, 15000);
  }

  function screeningFinished(data) {
    // A county-wide run ends with one event per office: the bureau's console announces it once.
    if (screening.announced.has(data.id)) return;
    screening.announced.add(data.id);
    const announce = (counts, run) => {
      toast(ST.finished + " " + data.quarter + "：" + (counts.high || 0) + " " + ST.high + "，"
        + (counts.review || 0) + " " + ST.review);
      const link = $("screening-export");
      link.href = cfg.api + "/screenings/" + data.id + "/export.xlsx";
      link.textContent = ST.ledger;
      link.hidden = false;
      if (run) showScreening(run);
    };
    if (state.user && state.user.bureau_wide && data.whole_county) {
      api("/screenings/" + data.id).then((run) => announce(run.counts || {}, run))
        .catch(() => announce(data.counts || {}, null));
    } else {
      announce(data.counts || {}, null);
    }
  }

  function reportError(err) {
    if (err && err.status === 401) return; // the login form is already back
    console.error(err);
    toast(errorText(err), "error");
  }

  async function boot() {
    try {
      const me = await api("/auth/me", { noAuthRedirect: true });
      await start(me);
    } catch (err) {
      showLogin(err && err.status && err.status !== 401 && err.status !== 403 ? errorText(err) : null);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Alerts: load, upsert, render
  // -------------------------------------------------------------------------------------------

  const flashUntil = new Map(); // alert id -> time the highlight ends

  async function loadAlerts() {
    const [open, acknowledged] = await Promise.all([
      apiAll("/alerts?status=open&ordering=-seq"),
      apiAll("/alerts?status=acknowledged&ordering=-seq"),
    ]);
    state.alerts.clear();
    for (const alert of open.concat(acknowledged)) state.alerts.set(alert.id, alert);
    state.loads++;
    renderAlerts();
    scheduleMapRender();
  }

  function upsertAlert(alert, isNew) {
    const previous = state.alerts.get(alert.id);
    if (alert.status === "resolved") {
      if (!previous) return;
      state.alerts.set(alert.id, alert);
      setTimeout(() => {
        const current = state.alerts.get(alert.id);
        if (current && current.status === "resolved") {
          state.alerts.delete(alert.id);
          if (state.selectedAlertId === alert.id) state.selectedAlertId = null;
          renderAlerts();
          scheduleMapRender();
        }
      }, RESOLVED_LINGER_MS);
    } else {
      state.alerts.set(alert.id, alert);
    }
    if (isNew && !previous && alert.status === "open") cue(alert);
    renderAlerts();
    scheduleMapRender();
  }

  function cue(alert) {
    flashUntil.set(alert.id, Date.now() + FLASH_MS);
    setTimeout(() => { flashUntil.delete(alert.id); renderAlerts(); }, FLASH_MS + 50);
    state.unseen++;
    updateTitle();
    beep(alert.severity);
  }

  function updateTitle() {
    document.title = (state.unseen > 0 ? "(" + state.unseen + ") " + T.new_alerts + " · " : "") + T.title;
  }

  function markSeen() {
    if (state.unseen) {
      state.unseen = 0;
      updateTitle();
    }
  }

  function sortedAlerts() {
    return Array.from(state.alerts.values()).sort((a, b) => b.seq - a.seq);
  }

  function renderAlerts() {
    const all = sortedAlerts();
    const counts = { all: 0, open: 0, acknowledged: 0 };
    for (const a of all) {
      if (a.status === "resolved") continue;
      counts.all++;
      counts[a.status] = (counts[a.status] || 0) + 1;
    }
    for (const node of document.querySelectorAll("[data-count]")) node.textContent = counts[node.dataset.count] || 0;
    els.count.textContent = counts.open;
    els.count.classList.toggle("count-badge--hot", counts.open > 0);
    const shown = all.filter((a) => state.filter === "all" || a.status === state.filter || a.status === "resolved");
    const now = Date.now();
    // Keyed update: rows whose markup did not change stay in place, so focus, hover and the
    // flash animation survive the arrival of other alerts.
    const focusedId = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("#alert-list [data-alert-id]") ? document.activeElement.closest("[data-alert-id]").dataset.alertId : null;
    const keep = new Set();
    let cursor = els.list.firstElementChild;
    for (const a of shown) {
      const html = alertRow(a, now);
      let entry = rowCache.get(a.id);
      if (!entry || entry.html !== html) {
        const holder = document.createElement("template");
        holder.innerHTML = html;
        const el = holder.content.firstElementChild;
        if (entry && entry.el.parentNode === els.list) {
          if (entry.el === cursor) cursor = el;
          entry.el.replaceWith(el);
        }
        entry = { html, el };
        rowCache.set(a.id, entry);
        if (focusedId === String(a.id)) setTimeout(() => el.focus(), 0);
      }
      keep.add(a.id);
      if (entry.el === cursor) cursor = cursor.nextElementSibling;
      else els.list.insertBefore(entry.el, cursor);
    }
    for (const [id, entry] of rowCache) {
      if (!keep.has(id)) { entry.el.remove(); rowCache.delete(id); }
    }
    els.empty.hidden = shown.length > 0;
  }

  const rowCache = new Map(); // alert id -> {html, el}

  // "已升级 → 所长/局值班" with the names of the latest step (office head, then bureau on duty).
  function escalationBadge(a) {
    const steps = Array.isArray(a.escalations) ? a.escalations : [];
    const last = steps.length ? steps[steps.length - 1] : {};
    const to = a.escalation_level >= 2 ? T.escalated_bureau : T.escalated_head;
    const names = (last.to || []).map((p) => p.name).filter(Boolean).join("、");
    const title = steps.map((s) => (s.level >= 2 ? T.escalated_bureau : T.escalated_head) + " " + fmtTime(s.at)).join(" · ");
    return '<span class="tag tag--escalated" data-escalation-level="' + esc(String(a.escalation_level)) + '" title="' +
      esc(title) + '">' + esc(T.escalated + " → " + to + (names ? "：" + names : "")) + "</span>";
  }

  function alertRow(a, now) {
    const kind = LABELS.kind[a.kind] || a.kind_display || a.kind;
    const severity = LABELS.severity[a.severity] || a.severity_display || a.severity;
    const status = LABELS.status[a.status] || a.status_display || a.status;
    const classes = ["alert", "sev-" + a.severity, "status-" + a.status];
    if ((flashUntil.get(a.id) || 0) > now) classes.push("is-new");
    if (a.id === state.selectedAlertId) classes.push("is-selected");
    const subject = a.subject ? a.subject.name : "";
    const zone = a.zone ? a.zone.name : "";
    const extras = [];
    if (a.late) extras.push('<span class="tag">' + esc(T.late) + "</span>");
    if (a.evidence && a.evidence.returned_at) extras.push('<span class="tag tag--ok">' + esc(T.returned) + "</span>");
    if (a.escalation_level > 0) extras.push(escalationBadge(a));
    let actions = "";
    if (a.status === "open") {
      actions += '<button type="button" class="btn btn--small btn--ack" data-action="acknowledge">' + esc(T.acknowledge) + "</button>";
    }
    if (a.status === "open" || a.status === "acknowledged") {
      actions += '<button type="button" class="btn btn--small btn--resolve" data-action="resolve">' + esc(T.resolve) + "</button>";
    }
    const who = a.status === "acknowledged" && a.acknowledged_by_name ? " · " + esc(a.acknowledged_by_name) : "";
    return (
      '<li class="' + classes.join(" ") + '" data-alert-id="' + a.id + '" data-seq="' + a.seq + '" data-status="' + esc(a.status) +
      '" data-subject-id="' + (a.subject ? a.subject.id : "") + '" tabindex="0" aria-label="' +
      esc(severity + " " + kind + " " + subject + " " + fmtTime(a.occurred_at) + " " + status) + '">' +
      '<div class="alert-top"><span class="sev-badge">' + esc(severity) + '</span><span class="alert-kind">' + esc(kind) +
      '</span><time class="alert-time" datetime="' + esc(a.occurred_at) + '" title="' + esc(fmtFullTime(a.occurred_at)) + '">' +
      esc(fmtTime(a.occurred_at)) + "</time></div>" +
      '<div class="alert-who"><strong class="alert-subject">' + esc(subject) + '</strong><span class="alert-office">' +
      esc(a.office_name || "") + "</span>" + (zone ? '<span class="alert-zone">' + esc(zone) + "</span>" : "") + "</div>" +
      '<div class="alert-bottom"><span class="status-badge">' + esc(status) + who + "</span>" + extras.join("") +
      '<span class="alert-actions">' + actions + "</span></div></li>"
    );
  }

  els.list.addEventListener("click", (event) => {
    markSeen();
    const row = event.target.closest("[data-alert-id]");
    if (!row) return;
    const id = Number(row.dataset.alertId);
    const button = event.target.closest("button[data-action]");
    if (button) {
      event.stopPropagation();
      if (button.dataset.action === "acknowledge") acknowledge(id, button);
      else if (button.dataset.action === "resolve") openResolve(id);
      return;
    }
    selectAlert(id);
  });

  els.list.addEventListener("keydown", (event) => {
    const row = event.target.closest("[data-alert-id]");
    if (!row || event.target !== row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      selectAlert(Number(row.dataset.alertId));
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      if (next) next.focus();
    }
  });

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      state.filter = tab.dataset.filter;
      for (const other of document.querySelectorAll(".tab")) {
        other.setAttribute("aria-selected", String(other === tab));
      }
      renderAlerts();
    });
  }

  async function acknowledge(id, button) {
    button.disabled = true;
    try {
      const alert = await api("/alerts/" + id + "/acknowledge", { method: "POST" });
      upsertAlert(alert, false);
      toast(T.acknowledged_ok, "ok");
    } catch (err) {
      button.disabled = false;
      reportError(err);
    }
  }

  let resolvingId = null;

  function openResolve(id) {
    const a = state.alerts.get(id);
    if (!a) return;
    resolvingId = id;
    els.resolveSummary.textContent = [a.subject && a.subject.name, LABELS.kind[a.kind] || a.kind_display,
      fmtTime(a.occurred_at)].filter(Boolean).join(" · ");
    els.resolveResolution.value = "";
    els.resolveNote.value = "";
    els.resolveError.hidden = true;
    if (typeof els.dialog.showModal === "function") els.dialog.showModal();
    else els.dialog.setAttribute("open", "");
    els.resolveResolution.focus();
  }

  function closeResolve() {
    resolvingId = null;
    if (els.dialog.open) els.dialog.close();
  }

  $("resolve-cancel").addEventListener("click", closeResolve);
  for (const field of [els.resolveResolution, els.resolveNote]) {
    field.addEventListener("input", () => { els.resolveError.hidden = true; });
  }

  els.resolveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const resolution = els.resolveResolution.value;
    const note = els.resolveNote.value.trim();
    const fail = (message) => { els.resolveError.textContent = message; els.resolveError.hidden = false; };
    if (!resolution) return fail(T.resolution + "：" + T.choose);
    if (resolution !== "false_alarm" && !note) return fail(T.note_required);
    if (resolvingId == null) return closeResolve();
    els.resolveSubmit.disabled = true;
    try {
      const alert = await api("/alerts/" + resolvingId + "/resolve", { method: "POST", body: { resolution, note } });
      closeResolve();
      upsertAlert(alert, false);
      toast(T.resolved_ok, "ok");
    } catch (err) {
      fail(errorText(err));
    } finally {
      els.resolveSubmit.disabled = false;
    }
  });

  // -------------------------------------------------------------------------------------------
  // Sound and attention
  // -------------------------------------------------------------------------------------------

  let audio = null;
  let lastBeep = 0;

  function unlockAudio() {
    // Browsers start audio only after a user gesture; the first click or key press opens it.
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      if (!audio) audio = new Ctx();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }

  function beep(severity) {
    if (!state.sound) return;
    const now = Date.now();
    if (now - lastBeep < 1500) return; // a replay of many alerts beeps once
    lastBeep = now;
    unlockAudio();
    if (!audio) return;
    const tones = severity === "critical" ? [988, 740, 988] : severity === "warning" ? [880, 660] : [660];
    tones.forEach((frequency, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const t0 = audio.currentTime + i * 0.2;
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.3, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.17);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0);
      osc.stop(t0 + 0.18);
    });
  }

  function renderSoundButton() {
    els.sound.setAttribute("aria-pressed", String(state.sound));
    const label = state.sound ? T.sound_on : T.sound_off;
    els.sound.title = label;
    els.sound.setAttribute("aria-label", label);
    els.sound.classList.toggle("is-muted", !state.sound);
  }

  els.sound.addEventListener("click", () => {
    state.sound = !state.sound;
    localStorage.setItem("console.sound", state.sound ? "on" : "off");
    renderSoundButton();
    if (state.sound) { lastBeep = 0; beep("info"); }
  });

  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio);
  window.addEventListener("focus", () => { if (document.visibilityState === "visible") markSeen(); });

  // -------------------------------------------------------------------------------------------
  // Websocket: hello -> resume -> replay -> replay_done -> live; reconnect with backoff
  // -------------------------------------------------------------------------------------------

  let reconnectTimer = null;
  let pingTimer = null;

  function seqKey() {
    return "console.lastSeq." + (state.user ? state.user.id : "anon");
  }

  function storedSeq() {
    const raw = sessionStorage.getItem(seqKey());
    const value = raw == null ? NaN : Number(raw);
    return Number.isInteger(value) && value >= 0 ? value : null;
  }

  function setSeq(seq) {
    if (typeof seq === "number" && seq > state.lastSeq) {
      state.lastSeq = seq;
      sessionStorage.setItem(seqKey(), String(seq));
    }
  }

  function setConn(kind, seconds) {
    const text = { on: T.conn_connected, connecting: T.conn_connecting, reconnecting: T.conn_reconnecting,
      off: T.conn_offline, degraded: T.conn_degraded }[kind];
    els.conn.className = "conn conn--" + kind;
    els.connText.textContent = text + (kind === "reconnecting" && seconds ? " " + seconds + "s" : "");
    els.conn.dataset.state = kind;
  }

  function connect() {
    if (state.stopped) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(scheme + location.host + cfg.ws);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    setConn(state.reconnectAttempt ? "reconnecting" : "connecting");
    ws.onmessage = (event) => {
      if (state.ws !== ws) return;
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handleMessage(ws, message).catch(reportError);
    };
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      state.connected = false;
      state.live = false;
      clearInterval(pingTimer);
      if (state.stopped) return;
      if (event.code === 4401) { sessionExpired(); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (state.stopped || reconnectTimer) return;
    const delay = Math.min(RECONNECT_MAX_S, 2 ** state.reconnectAttempt);
    state.reconnectAttempt++;
    setConn("reconnecting", delay);
    reconnectTimer = setTimeout(() => { reconnectTimer = null; state.reconnects++; connect(); }, delay * 1000);
  }

  function reconnectNow() {
    // Back online or back in view: no need to sit out the rest of the backoff.
    if (!state.stopped && !state.ws && reconnectTimer) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      state.reconnects++;
      connect();
    }
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") reconnectNow(); });

  function stopSocket() {
    state.stopped = true;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    clearInterval(pingTimer);
    const ws = state.ws;
    state.ws = null;
    state.connected = state.live = false;
    if (ws) ws.close();
  }

  function send(ws, message) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  async function handleMessage(ws, message) {
    switch (message.type) {
      case "hello": {
        state.connected = true;
        state.live = false;
        // Redis away: the server sends stored events every few seconds and no live positions.
        state.degraded = message.degraded === true;
        state.reconnectAttempt = 0;
        setConn("connecting");
        clearInterval(pingTimer);
        pingTimer = setInterval(() => send(ws, { type: "ping" }), PING_EVERY_MS);
        let after = storedSeq();
        if (after == null || after > message.last_seq) {
          // No history in this tab (or a different database): take the list as it is now, then
          // follow from the newest event the server has.
          sessionStorage.removeItem(seqKey());
          state.lastSeq = 0;
          await loadAlerts();
          after = message.last_seq;
          setSeq(after);
        } else {
          state.lastSeq = Math.max(state.lastSeq, after);
        }
        send(ws, { type: "resume", after_seq: after });
        break;
      }
      case "alert.created":
      case "alert.updated":
        if (typeof message.seq === "number" && message.seq <= state.lastSeq) return;
        upsertAlert(message.data, message.type === "alert.created");
        setSeq(message.seq);
        break;
      case "position":
        applyPosition(message.data);
        break;
      case "screening.progress":
        showScreening(message.data);
        break;
      case "screening.finished":
        if (typeof message.seq === "number" && message.seq <= state.lastSeq) return;
        screeningFinished(message.data);
        setSeq(message.seq);
        break;
      case "resync":
        await loadAlerts();
        setSeq(message.last_seq);
        break;
      case "replay_done":
        setSeq(message.last_seq);
        state.live = true;
        setConn(state.degraded ? "degraded" : "on");
        // Positions are not replayed: refresh them after a gap.
        if (state.reconnects > 0) loadPositions().catch(reportError);
        break;
      case "live":
        // The live channel went away (events come every few seconds) or is back (positions moved).
        state.degraded = message.degraded === true;
        if (state.live) {
          setConn(state.degraded ? "degraded" : "on");
          if (!state.degraded) loadPositions().catch(reportError);
        }
        break;
      case "pong":
        break;
      case "error":
        console.warn("console websocket:", message.detail);
        break;
      default:
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Map data
  // -------------------------------------------------------------------------------------------

  async function loadMapData() {
    const [offices, zones] = await Promise.all([apiAll("/offices"), apiAll("/zones?is_active=true")]);
    state.offices = offices;
    state.zones = zones;
    await loadPositions();
    if (!state.fitted) fitToOffices();
    scheduleMapRender();
  }

  async function loadPositions() {
    const rows = await api("/positions");
    state.positions.clear();
    for (const row of rows || []) state.positions.set(row.subject_id, row);
    scheduleMapRender();
  }

  let zonesReloading = null;
  function applyPosition(data) {
    if (!data || data.subject_id == null) return;
    const previous = state.positions.get(data.subject_id) || {};
    state.positions.set(data.subject_id, Object.assign({}, previous, data));
    if (state.selectedSubjectId === data.subject_id && state.track.length) {
      state.track.push({ lat: data.lat, lon: data.lon, accuracy_m: data.accuracy_m, recorded_at: data.recorded_at });
      renderPersonCard();
    }
    // Zones are edited elsewhere; a moving person is a good moment to pick up new ones.
    if (!zonesReloading) {
      zonesReloading = setTimeout(() => {
        apiAll("/zones?is_active=true").then((z) => { state.zones = z; scheduleMapRender(); })
          .catch(() => {}).finally(() => { zonesReloading = null; });
      }, 500);
    }
    scheduleMapRender();
  }

  // -------------------------------------------------------------------------------------------
  // Map (Leaflet, Web Mercator): one pane per layer, redrawn at most once a frame
  // -------------------------------------------------------------------------------------------

  const MAX_ZOOM = 20;
  const FOCUS_ZOOM = 14;
  const LABELS_FROM_ZOOM = 13; // below it, with many people, only alerted or selected ones are named
  const ZONE_LABEL_MIN_PX = 28; // a circle zone is named only when drawn at least this big
  // Bottom to top; accuracy circles under the dots. Names are drawn after their pane's shapes, so above them.
  const PANES = ["offices", "zones", "track", "accuracy", "positions"];
  const rad = (deg) => (deg * Math.PI) / 180;
  const groups = {}; // pane -> the layer group redrawn into it (people are kept in \`people\`)
  const drawn = {}; // layer -> the inputs it was last drawn from
  const people = new Map(); // subject id -> {marker, ring, key}
  let map = null;

  /** The map, made when the console is first shown (Leaflet measures its container). */
  function ensureMap() {
    if (map) return;
    const tiles = cfg.tiles;
    map = state.map = L.map(els.map, {
      zoomControl: false, attributionControl: tiles.urls.length > 0, zoomSnap: 0.25, minZoom: 4, maxZoom: MAX_ZOOM,
    });
    PANES.forEach((name, i) => {
      const pane = map.createPane(name);
      pane.id = "layer-" + name;
      pane.style.zIndex = 410 + i * 10;
      groups[name] = L.layerGroup().addTo(map);
    });
    if (tiles.urls.length) {
      map.attributionControl.setPrefix(false);
      tiles.urls.forEach((url, i) => L.tileLayer(url, {
        subdomains: tiles.subdomains, maxNativeZoom: Math.min(tiles.maxZoom, MAX_ZOOM), maxZoom: MAX_ZOOM,
        attribution: i === 0 ? esc(tiles.attribution) : "",
        // The page sends no referrer elsewhere; tile services that check a key's domain need the origin.
        referrerPolicy: "strict-origin",
      }).addTo(map));
      els.map.classList.add("has-tiles");
    }
    L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);
    fitToOffices();
    map.on("zoomend", scheduleMapRender);
    els.map.addEventListener("keydown", (event) => { if (event.key === "0") fitToOffices(); });
    if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(els.map);
  }

  $("zoom-in").addEventListener("click", () => map && map.zoomIn());
  $("zoom-out").addEventListener("click", () => map && map.zoomOut());
  $("zoom-fit").addEventListener("click", () => map && fitToOffices());

  function eachCoordinate(geometry, fn) {
    if (!geometry) return;
    const walk = (coords) => {
      if (typeof coords[0] === "number") fn(coords[0], coords[1]);
      else for (const c of coords) walk(c);
    };
    if (geometry.type === "GeometryCollection") (geometry.geometries || []).forEach((g) => eachCoordinate(g, fn));
    else if (geometry.coordinates) walk(geometry.coordinates);
  }

  function officeExtent() {
    const offices = state.offices.filter((o) => o.kind !== "bureau" && o.boundary);
    const source = offices.length ? offices : state.offices.filter((o) => o.boundary);
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const grow = (lon, lat) => {
      box[0] = Math.min(box[0], lon); box[1] = Math.min(box[1], lat);
      box[2] = Math.max(box[2], lon); box[3] = Math.max(box[3], lat);
    };
    for (const office of source) eachCoordinate(office.boundary, grow);
    if (!isFinite(box[0])) for (const p of state.positions.values()) grow(p.lon, p.lat);
    return isFinite(box[0]) ? box : [122.18, 37.0, 122.66, 37.33];
  }

  function fitToOffices() {
    const box = officeExtent();
    map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [30, 30], maxZoom: 16 });
    state.fitted = state.offices.length > 0 || state.positions.size > 0;
  }

  function focusOn(point) {
    // At once, not animated: the track drawn next lands where it belongs straight away.
    map.setView([point.lat, point.lon], Math.max(map.getZoom(), FOCUS_ZOOM), { animate: false });
  }

  let frame = null;
  function scheduleMapRender() {
    if (frame == null) frame = requestAnimationFrame(() => { frame = null; renderMap(); });
  }

  /** Whether a layer's inputs differ from those it was last drawn from (and remember them). */
  function changed(layer, ...inputs) {
    const before = drawn[layer];
    drawn[layer] = inputs;
    return !before || inputs.some((value, i) => value !== before[i]);
  }

  /** Sets an attribute on every element a layer drew (tests and the page find shapes by it). */
  function tag(layer, name, value) {
    if (layer.eachLayer) layer.eachLayer((inner) => tag(inner, name, value));
    else if (layer.getElement && layer.getElement()) layer.getElement().setAttribute(name, value);
  }

  /** A name on the map: text only, never in the way of the pointer. */
  function label(pane, lat, lon, className, text) {
    return L.marker([lat, lon], { pane, interactive: false, keyboard: false, icon: L.divIcon(
      { className: "map-label " + className, html: "<span>" + esc(text) + "</span>", iconSize: null }) });
  }

  function ringCentre(geometry) {
    let sx = 0, sy = 0, n = 0;
    const ring = geometry.type === "Polygon" ? geometry.coordinates[0]
      : geometry.type === "MultiPolygon" ? geometry.coordinates[0][0] : null;
    if (!ring) return null;
    for (const [lon, lat] of ring.slice(0, -1)) { sx += lon; sy += lat; n++; }
    return n ? [sx / n, sy / n] : null;
  }

  function renderMap() {
    if (!map || els.app.hidden) return;
    if (changed("offices", state.offices)) renderOffices();
    if (changed("zones", state.zones, map.getZoom())) renderZones();
    if (changed("track", state.track, state.track.length, state.focusPoint)) renderTrack();
    renderPositions();
    renderPersonCard();
  }

  function renderOffices() {
    groups.offices.clearLayers();
    for (const office of state.offices) {
      if (!office.boundary) continue;
      const county = office.kind === "bureau";
      const shape = L.geoJSON(office.boundary, { pane: "offices", className: county ? "county" : "office", interactive: !county });
      if (county) { shape.addTo(groups.offices); continue; }
      shape.bindTooltip(office.name, { sticky: true }).addTo(groups.offices);
      const c = ringCentre(office.boundary);
      if (c) label("offices", c[1], c[0], "office-label", office.name).addTo(groups.offices);
    }
  }

  function renderZones() {
    groups.zones.clearLayers();
    const metresPerPixel = (lat) => (40075016.686 * Math.cos(rad(lat))) / 2 ** (map.getZoom() + 8);
    for (const zone of state.zones) {
      if (zone.is_active === false || !zone.geometry) continue;
      const kind = zone.kind === "exclusion" ? "exclusion" : "inclusion";
      const style = { pane: "zones", className: "zone zone--" + kind };
      const point = zone.geometry.type === "Point" ? zone.geometry.coordinates : null;
      const radius = zone.radius_m || 0;
      const shape = point ? L.circle([point[1], point[0]], Object.assign({ radius }, style)) : L.geoJSON(zone.geometry, style);
      shape.bindTooltip(zone.name, { sticky: true }).addTo(groups.zones);
      tag(shape, "data-zone-id", zone.id);
      if (point && radius / metresPerPixel(point[1]) >= ZONE_LABEL_MIN_PX) {
        label("zones", point[1] + radius / 111320, point[0], "zone-label zone-label--" + kind, zone.name).addTo(groups.zones);
      }
    }
  }

  function renderTrack() {
    groups.track.clearLayers();
    if (!state.track.length) return;
    const points = state.track.map((p) => [p.lat, p.lon]);
    L.polyline(points, { pane: "track", className: "track-line", interactive: false }).addTo(groups.track);
    points.forEach((point, i) => {
      const last = i === points.length - 1;
      L.circleMarker(point, { pane: "track", radius: last ? 4.5 : 2.8, className: "track-point" + (last ? " track-point--last" : "") })
        .bindTooltip(fmtFullTime(state.track[i].recorded_at)).addTo(groups.track);
    });
    if (state.focusPoint) {
      L.circleMarker([state.focusPoint.lat, state.focusPoint.lon], { pane: "track", radius: 14, className: "focus-ring",
        interactive: false }).addTo(groups.track);
    }
  }

  function alertedSubjects() {
    const ids = new Map();
    for (const a of state.alerts.values()) {
      if (a.status === "resolved" || !a.subject) continue;
      const rank = { critical: 3, warning: 2, info: 1 }[a.severity] || 1;
      ids.set(a.subject.id, Math.max(ids.get(a.subject.id) || 0, rank));
    }
    return ids;
  }

  // People are updated in place (a live position moves its marker), so a dot under the pointer
  // or with the keyboard focus stays the same element while others move.
  function renderPositions() {
    const alerted = alertedSubjects();
    const rows = Array.from(state.positions.values()).filter((p) => typeof p.lat === "number" && typeof p.lon === "number");
    const nameAll = rows.length <= 40 || map.getZoom() >= LABELS_FROM_ZOOM;
    const shown = new Set();
    for (const p of rows) {
      const id = p.subject_id;
      const rank = alerted.get(id) || 0;
      const selected = id === state.selectedSubjectId;
      const className = "person" + (rank ? " person--alert person--rank" + rank : "") + (selected ? " is-selected" : "") +
        (p.supervision_level === "strict" ? " person--strict" : "");
      const html = (rank ? '<span class="pulse"></span>' : "") + '<span class="dot"></span>' +
        (nameAll || rank || selected ? '<span class="person-label">' + esc(p.name) + "</span>" : "");
      const title = p.name + " · " + fmtFullTime(p.recorded_at);
      let entry = people.get(id);
      if (!entry) {
        entry = {
          marker: L.marker([p.lat, p.lon], { pane: "positions" }).on("click", () => selectSubject(id, null)).addTo(map),
          ring: L.circle([p.lat, p.lon], { pane: "accuracy", className: "accuracy", interactive: false, radius: 0 }).addTo(map),
        };
        people.set(id, entry);
      }
      entry.marker.setLatLng([p.lat, p.lon]).setZIndexOffset(rank * 1000 + (selected ? 4000 : 0));
      entry.ring.setLatLng([p.lat, p.lon]).setRadius(p.accuracy_m || 0);
      const key = className + html + title;
      if (entry.key !== key) {
        entry.key = key;
        entry.marker.options.title = title;
        entry.marker.setIcon(L.divIcon({ className, html, iconSize: [14, 14] }));
        tag(entry.marker, "data-subject-id", id);
      }
      shown.add(id);
    }
    for (const [id, entry] of people) {
      if (!shown.has(id)) { entry.marker.remove(); entry.ring.remove(); people.delete(id); }
    }
    els.stats.textContent = T.map_stats.replace("{p}", state.positions.size).replace("{z}", state.zones.length);
  }

  // -------------------------------------------------------------------------------------------
  // Selection: an alert, or a person clicked on the map, shows the person's track
  // -------------------------------------------------------------------------------------------

  async function selectAlert(id) {
    const alert = state.alerts.get(id);
    if (!alert) return;
    markSeen();
    state.selectedAlertId = id;
    renderAlerts();
    await selectSubject(alert.subject ? alert.subject.id : null, alert);
  }

  function trackWindow(alert) {
    if (!alert || !alert.occurred_at) return "";
    const at = new Date(alert.occurred_at).getTime();
    if (Date.now() - at < 20 * 3600 * 1000) return "";
    // An older alert: the day around it rather than the last 24 hours.
    const from = new Date(at - 12 * 3600 * 1000).toISOString();
    const to = new Date(Math.min(Date.now(), at + 12 * 3600 * 1000)).toISOString();
    return "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to);
  }

  function evidencePoint(alert, track) {
    const e = (alert && alert.evidence) || {};
    if (typeof e.lat === "number" && typeof e.lon === "number") return { lat: e.lat, lon: e.lon };
    const ids = new Set(e.fix_ids || []);
    for (let i = track.length - 1; i >= 0; i--) {
      if (ids.has(String(track[i].client_id))) return track[i];
    }
    if (alert && alert.occurred_at && track.length) {
      const at = new Date(alert.occurred_at).getTime();
      let best = track[0];
      for (const p of track) {
        if (Math.abs(new Date(p.recorded_at) - at) < Math.abs(new Date(best.recorded_at) - at)) best = p;
      }
      return best;
    }
    return null;
  }

  let trackRequest = 0;
  async function selectSubject(subjectId, alert) {
    if (subjectId == null) return;
    const request = ++trackRequest;
    state.selectedSubjectId = subjectId;
    if (!alert) { state.selectedAlertId = null; renderAlerts(); }
    let track = [];
    try {
      track = await api("/subjects/" + subjectId + "/track" + trackWindow(alert));
    } catch (err) {
      reportError(err);
    }
    if (request !== trackRequest) return;
    state.track = track || [];
    const position = state.positions.get(subjectId);
    const focus = evidencePoint(alert, state.track) || (state.track.length ? state.track[state.track.length - 1] : null) || position;
    state.focusPoint = focus ? { lat: focus.lat, lon: focus.lon } : null;
    if (focus) focusOn(focus);
    renderPersonCard();
    scheduleMapRender();
  }

  function personName(subjectId) {
    const p = state.positions.get(subjectId);
    if (p) return p.name;
    for (const a of state.alerts.values()) if (a.subject && a.subject.id === subjectId) return a.subject.name;
    return "#" + subjectId;
  }

  function renderPersonCard() {
    const id = state.selectedSubjectId;
    if (id == null) { els.personCard.hidden = true; return; }
    els.personCard.hidden = false;
    els.personName.textContent = personName(id);
    const position = state.positions.get(id);
    const parts = [];
    if (state.track.length) parts.push(T.track + " " + state.track.length + " " + T.track_points);
    else parts.push(T.track_empty);
    if (position) {
      parts.push(T.last_fix + " " + fmtTime(position.recorded_at) +
        (position.accuracy_m != null ? " · " + T.accuracy + " " + Math.round(position.accuracy_m) + " m" : ""));
    }
    els.personMeta.textContent = parts.join(" · ");
  }

  $("person-close").addEventListener("click", () => {
    state.selectedSubjectId = state.selectedAlertId = null;
    state.track = [];
    state.focusPoint = null;
    renderAlerts();
    scheduleMapRender();
  });

  // -------------------------------------------------------------------------------------------
  // Go
  // -------------------------------------------------------------------------------------------

  renderSoundButton();
  updateTitle();
  boot();
})();
