(function () {
  "use strict";
  function allDetails() { return Array.prototype.slice.call(document.querySelectorAll("details.evidence")); }
  var wasOpen = [];
  function openAll() { allDetails().forEach(function (d) { d.open = true; }); }
  window.addEventListener("beforeprint", function () {
    wasOpen = allDetails().map(function (d) { return d.open; });
    openAll();
  });
  window.addEventListener("afterprint", function () {
    allDetails().forEach(function (d, i) { d.open = !!wasOpen[i]; });
  });
  var ex = document.getElementById("expand-all");
  if (ex) { ex.addEventListener("click", openAll); }
  var co = document.getElementById("collapse-all");
  if (co) { co.addEventListener("click", function () { allDetails().forEach(function (d) { d.open = false; }); }); }
  var pr = document.getElementById("print");
  if (pr) { pr.addEventListener("click", function () { window.print(); }); }
  // open the evidence of a finding reached through a link (#f-0001)
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var el = document.getElementById(id);
    if (el) { var d = el.querySelector("details.evidence"); if (d) { d.open = true; } }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  // charts: each spec lives in a JSON script block; a chart is drawn when scrolled into view
  var cfg = {displaylogo: false, responsive: true, showLink: false, showSendToCloud: false,
             modeBarButtonsToRemove: ["sendDataToCloud", "select2d", "lasso2d"]};
  // Plotly's bundle is inlined as inert text and run only once the page is shown,
  // so the first screen never waits for 4 MB of chart code.
  function loadPlotly() {
    if (typeof Plotly !== "undefined") { return true; }
    var src = document.getElementById("plotly-bundle");
    if (!src) { return false; }
    var s = document.createElement("script");
    s.text = src.textContent;
    document.head.appendChild(s);
    src.parentNode.removeChild(src);
    return typeof Plotly !== "undefined";
  }
  function draw(el) {
    if (el.getAttribute("data-drawn") || !loadPlotly()) { return; }
    el.setAttribute("data-drawn", "1");
    var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
    Plotly.newPlot(el, spec.data, spec.layout, cfg);
  }
  var charts = Array.prototype.slice.call(document.querySelectorAll("div.chart[data-spec]"));
  function observe() {
    if (!charts.length) { return; }
    if ("IntersectionObserver" in window) {
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { if (e.isIntersecting) { draw(e.target); io.unobserve(e.target); } });
      }, {rootMargin: "400px"});
      charts.forEach(function (c) { io.observe(c); });
    } else {
      charts.forEach(draw);
    }
  }
  window.addEventListener("load", function () {
    setTimeout(function () { if (charts.length) { loadPlotly(); } observe(); }, 0);
  });
  window.addEventListener("beforeprint", function () { charts.forEach(draw); });
})();
