/* The console's resettlement panel (安置帮教预警): open alerts of must-receive-must-deliver steps
 * past their deadline, from the resettlement API. The alerts are the resettlement module's own
 * (published to the console as "resettlement.alert" events too); this panel reads them from
 * /api/v1/resettlement-alerts every minute and when the page becomes visible. Text comes
 * translated from the server (kind_label, step_label) and is inserted as text, never as HTML. */
(function () {
  "use strict";
  const REFRESH_MS = 60000;
  const panel = document.getElementById("resettlement-panel");
  const configNode = document.getElementById("console-config");
  if (!panel || !configNode) return;
  const api = (JSON.parse(configNode.textContent || "{}").api || "/api/v1") + "/resettlement-alerts?status=open&limit=50";
  const list = panel.querySelector("[data-role=list]");
  const count = panel.querySelector("[data-role=count]");

  function localTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function render(rows) {
    list.replaceChildren();
    for (const row of rows) {
      const item = document.createElement("li");
      item.className = "rs-item";
      item.dataset.id = String(row.id);
      const title = document.createElement("strong");
      title.textContent = row.released_person_name + " · " + (row.step_label || row.kind_label);
      const meta = document.createElement("span");
      meta.className = "rs-meta";
      meta.textContent = (row.office_name || "") + " · " + localTime(row.deadline);
      item.append(title, meta);
      list.append(item);
    }
    count.textContent = String(rows.length);
    panel.hidden = rows.length === 0;
  }

  async function refresh() {
    try {
      const response = await fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) { panel.hidden = true; return; }
      const data = await response.json();
      render(Array.isArray(data.results) ? data.results : []);
    } catch (e) {
      /* offline: keep what is shown; the next refresh tries again */
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
})();
