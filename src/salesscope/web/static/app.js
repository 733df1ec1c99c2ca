// salesscope pages: draw the Plotly figures the server prepared, follow a clicked point to the
// deals behind it, and show each metric's definition on hover or focus. No other script runs.
(function () {
  "use strict";

  function drawCharts() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      Plotly.newPlot(el, fig.data, fig.layout, {displayModeBar: false, responsive: true});
      el.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "/") {
          window.location.href = point.customdata;
        }
      });
      el.classList.add("drawn");
    });
  }

  function definitionTips() {
    var tip = document.createElement("div");
    tip.className = "tip";
    tip.setAttribute("role", "tooltip");
    document.body.appendChild(tip);
    function show(event) {
      var el = event.currentTarget;
      var text = el.getAttribute("data-definition");
      if (!text) { return; }
      el.removeAttribute("title");
      tip.textContent = text;
      var box = el.getBoundingClientRect();
      tip.style.left = Math.max(8, Math.min(window.innerWidth - 340, box.left + window.scrollX)) + "px";
      tip.style.top = (box.bottom + window.scrollY + 6) + "px";
      tip.classList.add("on");
    }
    function hide() { tip.classList.remove("on"); }
    document.querySelectorAll("[data-definition]").forEach(function (el) {
      el.addEventListener("mouseenter", show);
      el.addEventListener("focus", show);
      el.addEventListener("mouseleave", hide);
      el.addEventListener("blur", hide);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    definitionTips();
  });
})();
