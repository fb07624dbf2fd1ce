// The vetting funnel chart: horizontal bars, one per stage, from the page's json_script data.
// Labels come translated from the server; in right-to-left languages the bars grow from the right.
(function () {
  "use strict";
  var canvas = document.getElementById("funnel-chart");
  var source = document.getElementById("funnel-chart-data");
  if (!canvas || !source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var root = document.documentElement;
  var rtl = root.dir === "rtl";
  var font = window.getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.family = font;

  window.funnelChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.dataset,
          data: data.values,
          backgroundColor: "rgba(1, 114, 173, 0.75)",
          borderColor: "rgb(1, 114, 173)",
          borderWidth: 1,
        },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      locale: root.lang || undefined,
      animation: false,
      scales: {
        x: {
          reverse: rtl,
          beginAtZero: true,
          ticks: { precision: 0 },
          title: { display: true, text: data.axis },
        },
        y: { position: rtl ? "right" : "left" },
      },
      plugins: {
        legend: { display: false, rtl: rtl },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
      },
    },
  });
})();
