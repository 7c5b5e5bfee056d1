/* Boss view chart: revenue and credited sales by store, drawn with ECharts from the data the
   server embeds with json_script (#boss-chart-data); no inline script (CSP). */
(function () {
  "use strict";

  var MONEY = new Intl.NumberFormat(document.documentElement.lang || undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function draw() {
    var source = document.getElementById("boss-chart-data");
    var element = document.getElementById("chart-boss-stores");
    if (!source || !element || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var existing = window.echarts.getInstanceByDom(element);
    if (existing) existing.dispose();
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    var empty = data.revenue.concat(data.credited).every(function (v) { return !v; });
    if (empty) {
      chart.setOption({ title: { text: data.labels.empty, left: "center", top: "middle", textStyle: { color: "#6a737d", fontSize: 14, fontWeight: 400 } } });
      return;
    }
    chart.setOption({
      color: ["#1971c2", "#d9480f"],
      animation: false,
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      legend: { top: 0, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return "¥" + MONEY.format(Number(v)); } },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: data.names, axisLabel: { width: 96, overflow: "truncate" } },
      series: [
        { name: data.labels.revenue, type: "bar", data: data.revenue, barMaxWidth: 18 },
        { name: data.labels.credited, type: "bar", data: data.credited, barMaxWidth: 18 }
      ]
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    var element = document.getElementById("chart-boss-stores");
    var instance = element && window.echarts && window.echarts.getInstanceByDom(element);
    if (instance) instance.resize();
  });
})();
