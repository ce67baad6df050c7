/* Report pages: draw paid vs organic line charts with the vendored Chart.js (global `Chart`).
 *
 * A chart is a <canvas data-chart="ID"> whose series sit in <script type="application/json"
 * id="ID"> as {"labels": [...], "paid": [...], "organic": [...]}. The numbers are also on the
 * page as a table (and the canvas has an aria-label), so nothing is lost without JavaScript.
 */
(function () {
  "use strict";

  var PAID = "#d6246e";     /* --sc-accent */
  var ORGANIC = "#1864ab";

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function series(label, values, color, dashed) {
    return {
      label: label,
      data: values,
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      borderDash: dashed ? [6, 4] : [],
      pointStyle: dashed ? "rectRot" : "circle",
      pointRadius: values.length > 45 ? 0 : 3,
      pointHoverRadius: 5,
      cubicInterpolationMode: "monotone",  /* no overshoot below zero or above a peak */
      fill: false
    };
  }

  function draw(canvas) {
    if (canvas.getAttribute("data-drawn") || typeof window.Chart === "undefined") return;
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return;
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    canvas.setAttribute("data-drawn", "true");
    var still = reducedMotion();
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [series("Paid (Spark Ads)", data.paid, PAID, false),
                   series("Organic", data.organic, ORGANIC, true)]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 400 },
        transitions: still ? { active: { animation: { duration: 0 } } } : undefined,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true } }
        }
      }
    });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("canvas[data-chart]")) { draw(scope); return; }
    Array.prototype.forEach.call(scope.querySelectorAll("canvas[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // Content swapped in by HTMX gets its charts too.
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail && event.detail.elt); });
})();
