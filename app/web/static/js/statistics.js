/* 签约统计 charts (Apache ECharts). The figures come from the page itself (data-chart on the
   first chart), so the charts and the table beside them always show the same numbers. No inline
   script (CSP); tooltips render as rich text, not HTML. */
(function () {
  "use strict";

  function start() {
    var statusEl = document.getElementById("chart-status");
    var rateEl = document.getElementById("chart-rate");
    if (!statusEl || !window.echarts) { return; }
    var data = JSON.parse(statusEl.getAttribute("data-chart"));
    var names = {
      signed_online: "网上签约", signed_paper: "线下签约", other_destination: "其他去向",
      in_review: "签约审核中", unsigned: "未签约"
    };
    var colors = ["#0b4f9c", "#3b82f6", "#10b981", "#f59e0b", "#d0d5dd"];
    var font = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
    var keys = Object.keys(names);

    var status = window.echarts.init(statusEl, null, { renderer: "canvas" });
    status.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      color: colors,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      legend: { top: 0, textStyle: { fontFamily: font } },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.colleges, inverse: true },
      series: keys.map(function (key) {
        return { name: names[key], type: "bar", stack: "students", barMaxWidth: 26, data: data.series[key] };
      })
    });

    var charts = [status];
    if (rateEl) {
      var rate = window.echarts.init(rateEl, null, { renderer: "canvas" });
      rate.setOption({
        animation: false,
        textStyle: { fontFamily: font },
        color: ["#0b4f9c", "#f59e0b", "#b42318"],
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0, left: "center" },
        grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.colleges, axisLabel: { interval: 0, rotate: data.colleges.length > 4 ? 30 : 0 } },
        yAxis: [{ type: "value", name: "签约率（%）", max: 100, nameTextStyle: { align: "left" } },
                { type: "value", name: "审核用时（小时）", splitLine: { show: false }, nameTextStyle: { align: "right" } }],
        series: [
          { name: "签约率", type: "bar", barMaxWidth: 28, data: data.rate,
            label: { show: true, position: "top", formatter: "{c}%" } },
          { name: "学院审核用时", type: "line", yAxisIndex: 1, connectNulls: true, data: data.review[0] },
          { name: "学校审核用时", type: "line", yAxisIndex: 1, connectNulls: true, data: data.review[1] }
        ]
      });
      charts.push(rate);
    }
    statusEl.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
