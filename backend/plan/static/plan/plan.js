/* The plan dashboard: a card per target (progress to date against the target), the selected
   target's progress by month against its target line, and its value by unit. Data from
   /api/v1/plan/indicators (the console's session); charts by plotly.js served from this server. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("plan-config").textContent);
  const T = cfg.english
    ? { met: "met", notMet: "not yet", target: "target", month: "month", loading: "Loading…", failed: "Could not load the indicators: ", none: "no data", now: "now" }
    : { met: "已达标", notMet: "未达标", target: "目标", month: "月", loading: "正在加载…", failed: "加载失败：", none: "暂无数据", now: "当前" };
  const $ = (id) => document.getElementById(id);
  const yearSelect = $("year");
  let indicators = [];
  let selected = null;

  for (let y = cfg.year; y >= cfg.year - 3; y--) {
    const option = document.createElement("option");
    option.value = String(y);
    option.textContent = String(y);
    yearSelect.appendChild(option);
  }

  function fmt(value, measure) {
    if (value === null || value === undefined) return "—";
    const n = Math.round(Number(value) * 10) / 10;
    return n.toLocaleString(cfg.english ? "en-GB" : "zh-CN") + (measure === "%" ? "%" : "");
  }

  function card(indicator) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "card" + (indicator.met ? " met" : "");
    button.dataset.code = indicator.code;
    const share = indicator.ratio === null ? (indicator.met ? 1 : 0) : Math.min(1, indicator.ratio);
    const title = document.createElement("h3");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = indicator.value === null ? T.none : indicator.met ? T.met : T.notMet;
    title.append(badge, document.createTextNode(indicator.name));
    const value = document.createElement("div");
    const strong = document.createElement("span");
    strong.className = "value";
    strong.textContent = fmt(indicator.value, indicator.measure);
    const target = document.createElement("span");
    target.className = "target";
    const unit = indicator.measure === "%" ? "" : " " + indicator.measure;
    target.textContent = "/ " + T.target + " " + (indicator.comparison === "at_most" ? "≤" : "≥") + fmt(indicator.target, indicator.measure) + unit;
    value.append(strong, target);
    const meter = document.createElement("div");
    meter.className = "meter";
    const bar = document.createElement("span");
    bar.style.width = Math.round(share * 100) + "%";
    meter.appendChild(bar);
    button.append(title, value, meter);
    button.addEventListener("click", () => select(indicator.code));
    return button;
  }

  function select(code) {
    selected = indicators.find((i) => i.code === code) || indicators[0];
    if (!selected) return;
    for (const el of document.querySelectorAll(".card")) {
      el.setAttribute("aria-pressed", String(el.dataset.code === selected.code));
    }
    $("month-title").textContent = selected.name;
    $("unit-title").textContent = selected.name;
    const layout = { margin: { l: 50, r: 10, t: 10, b: 40 }, font: { family: "Noto Sans CJK SC, sans-serif" }, showlegend: false };
    // A target measured as a state (coverage, a share) has no months: its value now against the target.
    const byMonth = selected.by_month.length
      ? selected.by_month
      : [{ month: null, value: selected.value === null ? 0 : selected.value }];
    const months = byMonth.map((m) => (m.month === null ? T.now : m.month + T.month));
    Plotly.react("chart-month", [
      {
        x: months,
        y: byMonth.map((m) => m.value),
        type: selected.by_month.length ? "scatter" : "bar",
        mode: "lines+markers",
        name: selected.name,
        line: { color: "#1f4e8c" },
        marker: { color: "#1f4e8c" },
      },
      { x: months, y: months.map(() => Number(selected.target)), type: "scatter", mode: selected.by_month.length ? "lines" : "markers", name: T.target, line: { color: "#b45309", dash: "dash" }, marker: { color: "#b45309", symbol: "line-ew-open", size: 40 } },
    ], layout, { displayModeBar: false, responsive: true });
    const units = selected.by_unit.slice(0, 30);
    Plotly.react("chart-unit", [
      { x: units.map((u) => u.value), y: units.map((u) => u.unit_name), type: "bar", orientation: "h", marker: { color: "#2f7d6d" } },
    ], { ...layout, margin: { l: 140, r: 10, t: 10, b: 30 }, yaxis: { autorange: "reversed" } }, { displayModeBar: false, responsive: true });
  }

  async function load() {
    const year = yearSelect.value;
    $("export").href = cfg.api + "/export.xlsx?year=" + encodeURIComponent(year);
    $("status").hidden = false;
    $("status").textContent = T.loading;
    const response = await fetch(cfg.api + "?year=" + encodeURIComponent(year), { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401 || response.status === 403) {
      $("signin").hidden = false;
      $("status").hidden = true;
      return;
    }
    if (!response.ok) {
      $("status").textContent = T.failed + response.status;
      return;
    }
    indicators = await response.json();
    const cards = $("cards");
    cards.replaceChildren(...indicators.map(card));
    $("status").hidden = true;
    select(selected ? selected.code : indicators.length ? indicators[0].code : null);
    document.body.dataset.ready = "true";
  }

  yearSelect.addEventListener("change", () => load().catch((err) => { $("status").textContent = T.failed + err; }));
  load().catch((err) => { $("status").textContent = T.failed + err; });
})();
