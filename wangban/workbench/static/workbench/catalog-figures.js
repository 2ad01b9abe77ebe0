/* The bar chart of the supervision figures (workbench/catalog/figures.html). Its data comes
   from the json_script element beside it; the table above it holds the same figures. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("catalog-figures-chart");
    var source = document.getElementById("catalog-figures-data");
    if (!node || !source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      aria: { enabled: true },
      color: ["#0b57d0", "#1e7b34"],
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { data: ["网上事项公开率", "办事指南完整率"], top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: data.departments, axisLabel: { interval: 0, width: 80, overflow: "break" } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: "网上事项公开率", type: "bar", barMaxWidth: 48, data: data.online },
        { name: "办事指南完整率", type: "bar", barMaxWidth: 48, data: data.complete }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
