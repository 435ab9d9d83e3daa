// The browser side of the report: reads the chart specs embedded as JSON and draws them with
// uPlot. It computes nothing about the run (that happened in Node); it only lays out charts,
// keeps the time charts' cursors in sync, and redraws at the page's width (and for print).
// Plain ES2017 in a string: it is inlined into the page, never bundled.
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('twstorm-data').textContent);
  var charts = [];

  function pctLabel(x) {
    // x = 1/(1-p): 1 → 0%, 10 → 90%, 100 → 99%, 1000 → 99.9% …
    var p = 100 * (1 - 1 / x);
    if (p <= 0) return '0%';
    var digits = Math.max(0, Math.ceil(-Math.log10(100 - p + 1e-12)) + 1);
    var text = p.toFixed(Math.min(digits, 6));
    if (text.indexOf('.') >= 0) text = text.replace(/\.?0+$/, '');
    return text + '%';
  }
  function msLabel(v) {
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + ' s';
    if (v >= 1) return (+v.toFixed(1)) + ' ms';
    return (+v.toFixed(3)) + ' ms';
  }
  function decades(min, max) {
    var out = [];
    for (var v = Math.pow(10, Math.floor(Math.log10(min))); v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
    return out;
  }

  // Vertical dashed lines with a label: the moment the port range ran out. The labels sit in a
  // band above the plot (uPlot's top padding, sized for one row per marker), so no label is
  // ever drawn over a line; a label that would run past the right edge ends at its marker.
  var MARKER_ROW = 16;
  function markerBand(markers) { return markers.length ? 6 + MARKER_ROW * markers.length : null; }
  function markersPlugin(markers) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          var dpr = devicePixelRatio;
          ctx.save();
          markers.forEach(function (m, i) {
            var x = Math.round(u.valToPos(m.x, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.strokeStyle = '#a40e26';
            ctx.lineWidth = 2 * dpr;
            ctx.setLineDash([6 * dpr, 4 * dpr]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = '#a40e26';
            ctx.font = (12 * dpr) + 'px system-ui, sans-serif';
            // uPlot leaves its axis text alignment on the context; set ours explicitly.
            ctx.textBaseline = 'alphabetic';
            var text = '\u25BC ' + m.label;
            var right = u.bbox.left + u.bbox.width;
            var fitsRight = x + 4 * dpr + ctx.measureText(text).width <= right;
            ctx.textAlign = fitsRight ? 'left' : 'right';
            var y = u.bbox.top - (markers.length - 1 - i) * MARKER_ROW * dpr - 4 * dpr;
            ctx.fillText(text, fitsRight ? x + 4 * dpr : x + 6 * dpr, y);
          });
          ctx.restore();
        }]
      }
    };
  }

  function widthOf(el) {
    return Math.max(300, Math.floor(el.getBoundingClientRect().width || el.parentNode.clientWidth || 800));
  }

  function build(spec, el) {
    var isTime = spec.kind === 'time';
    var logX = spec.kind === 'percentile' || spec.kind === 'histogram';
    var xs = spec.x;
    var opts = {
      width: widthOf(el),
      height: 280,
      plugins: spec.markers.length ? [markersPlugin(spec.markers)] : [],
      padding: [markerBand(spec.markers), null, null, null],
      cursor: isTime ? { sync: { key: 'twstorm-time', setSeries: true } } : {},
      legend: { live: true, markers: { dash: function (u, i) { return i === 0 ? 'solid' : spec.series[i - 1].style.legend; } } },
      scales: { x: logX ? { time: false, distr: 3 } : spec.xRange ? { time: false, range: function () { return spec.xRange; } } : { time: false }, y: { range: function (u, lo, hi) { var top = spec.yMax != null ? spec.yMax : hi; return [0, top > 0 ? top * 1.08 : 1]; } } },
      axes: [
        {
          label: spec.xLabel,
          values: spec.kind === 'percentile'
            ? function (u, splits) { return splits.map(pctLabel); }
            : spec.kind === 'histogram'
              ? function (u, splits) { return splits.map(msLabel); }
              : spec.kind === 'value'
                ? function (u, splits) { return splits.map(function (v) { return String(+v.toFixed(2)); }); }
                : function (u, splits) { return splits.map(function (v) { return (+v.toFixed(2)) + ' s'; }); },
          splits: spec.xTicks ? function () { return spec.xTicks; } : logX ? function (u) { return decades(xs[0] || 1, xs[xs.length - 1] || 10); } : undefined,
          // uPlot's log axes label only 1-2-5 ticks (the rest become null): ticks given are all labelled.
          filter: spec.xTicks ? function (u, splits) { return splits; } : undefined
        },
        { label: spec.yLabel, size: 60 }
      ],
      series: [{ label: spec.xLabel, value: function (u, v) { return v == null ? '–' : spec.kind === 'percentile' ? pctLabel(v) : spec.kind === 'histogram' ? '≥ ' + msLabel(v) : spec.kind === 'value' ? String(v) : v.toFixed(2) + ' s'; } }].concat(
        spec.series.map(function (s) {
          var series = {
            label: s.label,
            stroke: s.style.color,
            dash: s.style.dash,
            width: 2,
            spanGaps: !s.breaks,
            points: s.marks
              ? { show: false, filter: function () { return s.marks; }, size: 6, fill: s.style.color }
              : { show: s.points, size: 6, fill: s.style.color }
          };
          // A sparse series (the census) is joined only across its short gaps: uPlot clips the
          // line out of these x ranges (canvas pixels) and marks the points left unjoined.
          if (s.breaks) {
            series.gaps = function (u) {
              return s.breaks.map(function (b) { return [Math.round(u.valToPos(b[0], 'x', true)), Math.round(u.valToPos(b[1], 'x', true))]; });
            };
          }
          if (spec.kind === 'histogram') {
            series.paths = uPlot.paths.stepped({ align: 1 });
            series.fill = s.style.color + '33';
          }
          return series;
        })
      )
    };
    // uPlot shows or hides a line on a click of its legend label, which no keyboard reaches:
    // each label becomes a button (Tab to it, Enter or Space), and says whether its line is shown.
    opts.hooks = { setSeries: [pressedState], ready: [keyboardLegend] };
    var aligned = [xs].concat(spec.series.map(function (s) { return s.values; }));
    return new uPlot(opts, aligned, el);
  }

  function legendLabels(u) {
    return Array.prototype.slice.call(u.root.querySelectorAll('.u-legend tr.u-series > th'), 1);
  }
  function pressedState(u) {
    legendLabels(u).forEach(function (th, i) { th.setAttribute('aria-pressed', String(u.series[i + 1].show !== false)); });
  }
  function keyboardLegend(u) {
    legendLabels(u).forEach(function (th) {
      th.setAttribute('tabindex', '0');
      th.setAttribute('role', 'button');
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); th.click(); }
      });
    });
    pressedState(u);
  }

  data.charts.forEach(function (spec) {
    var el = document.querySelector('[data-chart="' + spec.id + '"] .plot');
    if (!el) { console.error('twstorm report: no place for chart ' + spec.id); return; }
    try {
      el.textContent = ''; // the no-script sentence (page.ts NO_SCRIPT)
      charts.push({ el: el, plot: build(spec, el) });
    } catch (err) {
      el.textContent = 'This chart could not be drawn: ' + err.message;
      console.error(err);
    }
  });

  function resize(fixed) {
    charts.forEach(function (c) { c.plot.setSize({ width: fixed || widthOf(c.el), height: 280 }); });
  }
  var pending;
  window.addEventListener('resize', function () { clearTimeout(pending); pending = setTimeout(function () { resize(); }, 100); });
  // Canvas pixels do not reflow: size the charts to a printed page's width before printing.
  window.addEventListener('beforeprint', function () { resize(680); });
  window.addEventListener('afterprint', function () { resize(); });
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
`;
