/* HQ dashboard charts: ECharts over the data the server embeds with json_script (#hq-chart-data).
   Drawn on page load and again whenever htmx swaps in the dashboard of another period. */
(function () {
  "use strict";

  var PALETTE = ["#d9480f", "#1971c2", "#2b8a3e", "#f08c00", "#6741d9", "#0c8599"];

  var LANGUAGE = document.documentElement.lang || undefined;
  var COMPACT = new Intl.NumberFormat(LANGUAGE, { notation: "compact" });  // 2万 in Chinese, 20K in English
  var MONEY = new Intl.NumberFormat(LANGUAGE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function money(value) {
    return "¥" + MONEY.format(Number(value));
  }

  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) return;
    var existing = window.echarts.getInstanceByDom(element);
    if (existing) existing.dispose();
    var instance = window.echarts.init(element, null, { renderer: "svg" });
    instance.setOption(Object.assign({ color: PALETTE, animation: false }, option));
  }

  function storesChart(data, labels) {
    if (nothing(data.sales)) return empty("chart-stores", labels.empty);
    chart("chart-stores", {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: money },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return COMPACT.format(v); } } },
      yAxis: { type: "category", inverse: true, data: data.names, axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ name: labels.sales, type: "bar", data: data.sales, barMaxWidth: 22 }]
    });
  }

  // Online in warm colours, the counter in blue: the outer ring's channels match their group inside.
  var SLICE_COLOURS = {
    online: "#d9480f", in_store: "#1971c2",
    app: "#f76707", h5: "#ffa94d", share_link: "#e8590c", pos: "#4dabf7"
  };

  function coloured(items) {
    // Zero slices would still get a label (and a legend entry) on top of the real ones.
    return items.filter(function (item) { return Number(item.value) > 0; }).map(function (item) {
      return { name: item.name, value: item.value, itemStyle: { color: SLICE_COLOURS[item.key] } };
    });
  }

  function nothing(values) {
    return values.every(function (value) { return !value; });
  }

  function empty(id, text) {
    chart(id, { title: { text: text, left: "center", top: "middle", textStyle: { color: "#6a737d", fontSize: 14, fontWeight: 400 } } });
  }

  function channelsChart(data, labels) {
    if (nothing(data.channels.map(function (item) { return item.value; }))) return empty("chart-channels", labels.empty);
    chart("chart-channels", {
      tooltip: { trigger: "item", valueFormatter: money },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
      series: [
        { type: "pie", radius: [0, "40%"], center: ["50%", "42%"], label: { position: "inner", fontSize: 11 },
          data: coloured(data.groups) },
        { type: "pie", radius: ["50%", "70%"], center: ["50%", "42%"],
          label: { position: "inside", formatter: "{d}%", fontSize: 10, color: "#fff" }, labelLayout: { hideOverlap: true },
          data: coloured(data.channels) }
      ]
    });
  }

  function fulfilmentChart(data, labels) {
    if (nothing(data.orders)) return empty("chart-fulfilment", labels.empty);
    chart("chart-fulfilment", {
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: data.names },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: labels.orders, type: "bar", data: data.orders, barMaxWidth: 40, label: { show: true, position: "top" } }]
    });
  }

  function trendChart(data, labels) {
    if (nothing(data.sales) && nothing(data.previous)) return empty("chart-trend", labels.empty);
    chart("chart-trend", {
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: money },
      legend: { top: 0, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11 } },
      xAxis: { type: "category", data: data.labels, boundaryGap: false },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return COMPACT.format(v); } } },
      series: [
        { name: data.names.current, type: "line", data: data.sales, smooth: true, symbolSize: 4 },
        { name: data.names.previous, type: "line", data: data.previous, smooth: true, symbolSize: 3,
          lineStyle: { type: "dashed", width: 1 }, itemStyle: { color: "#868e96" } }
      ]
    });
  }

  function draw() {
    var source = document.getElementById("hq-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    trendChart(data.trend, data.labels);
    storesChart(data.stores, data.labels);
    channelsChart(data.channels, data.labels);
    fulfilmentChart(data.fulfilment, data.labels);
  }

  function resize() {
    document.querySelectorAll(".chart").forEach(function (element) {
      var instance = window.echarts && window.echarts.getInstanceByDom(element);
      if (instance) instance.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dashboard") draw();
  });
  window.addEventListener("resize", resize);
})();
