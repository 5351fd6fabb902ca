// actloss playground: drawing on canvases (loaded before app.js). Every function draws what one
// message from the server holds; nothing here talks to the server.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#f59322", "#0877bd", "#2e9a4b", "#c0392b", "#8e44ad", "#7f8c8d", "#d4ac0d",
                "#16a085", "#e84393", "#34495e"];
const RGB = COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));

function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "-";
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
}

function clear(canvas) {
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.font = "11px system-ui, sans-serif";
  return g;
}

function drawBoundary(b, dataset) {
  const canvas = $("boundary");
  const g = clear(canvas);
  const n = b.n;
  const img = new ImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    let rgb;
    let alpha = 160;
    if (b.kind === "binary") {
      const v = b.value[i] === null ? 0.5 : b.value[i];
      rgb = RGB[0].map((c, k) => c + (RGB[1][k] - c) * v);
      alpha = 60 + 150 * Math.abs(v - 0.5) * 2;
    } else if (b.kind === "multiclass") {
      rgb = RGB[b.class[i] % RGB.length];
      alpha = 40 + 170 * (b.value[i] || 0);
    } else {
      const v = Math.tanh(b.value[i] || 0) * 0.5 + 0.5;
      rgb = RGB[0].map((c, k) => c + (RGB[1][k] - c) * v);
    }
    img.data.set([rgb[0], rgb[1], rgb[2], alpha], 4 * i);
  }
  const small = document.createElement("canvas");
  small.width = n; small.height = n;
  small.getContext("2d").putImageData(img, 0, 0);
  g.imageSmoothingEnabled = true;
  g.drawImage(small, 0, 0, canvas.width, canvas.height);
  const [x0, x1, y0, y1] = dataset.extent;
  const px = (x) => ((x - x0) / (x1 - x0)) * canvas.width;
  const py = (y) => ((y1 - y) / (y1 - y0)) * canvas.height;
  const values = dataset.task === "regression" ? dataset.train.y.concat(dataset.test.y) : null;
  const lo = values ? Math.min(...values) : 0;
  const hi = values ? Math.max(...values) : 1;
  for (const [split, stroke] of [["train", "#fff"], ["test", "#000"]]) {
    const pts = dataset[split];
    for (let i = 0; i < pts.x.length; i++) {
      const y = pts.y[i];
      g.beginPath();
      g.arc(px(pts.x[i][0]), py(pts.x[i][1]), 3.2, 0, 2 * Math.PI);
      if (values) {
        const v = (y - lo) / (hi - lo || 1);
        g.fillStyle = `rgb(${RGB[0].map((c, k) => Math.round(c + (RGB[1][k] - c) * v)).join(",")})`;
      } else {
        g.fillStyle = COLORS[y % COLORS.length];
      }
      g.fill();
      g.lineWidth = 1; g.strokeStyle = stroke; g.stroke();
    }
  }
  g.fillStyle = "#333";
  g.fillText("train: white ring   test: black ring", 6, canvas.height - 6);
}

function drawConfusion(cm, classes) {
  const canvas = $("boundary");
  const g = clear(canvas);
  const k = cm.length;
  const pad = 50;
  const size = (canvas.width - pad - 10) / k;
  const peak = Math.max(1, ...cm.flat());
  const names = classes || cm.map((_, i) => String(i));
  g.textAlign = "center"; g.textBaseline = "middle";
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = cm[i][j] / peak;
      const base = i === j ? RGB[1] : RGB[3];
      g.fillStyle = `rgba(${base.join(",")},${0.08 + 0.85 * v})`;
      g.fillRect(pad + j * size, pad + i * size, size - 1, size - 1);
      g.fillStyle = v > 0.55 ? "#fff" : "#222";
      if (size > 14) g.fillText(String(cm[i][j]), pad + (j + 0.5) * size, pad + (i + 0.5) * size);
    }
    g.fillStyle = "#333";
    g.fillText(String(names[i]).slice(0, 6), pad - 22, pad + (i + 0.5) * size);
    g.fillText(String(names[i]).slice(0, 6), pad + (i + 0.5) * size, pad - 12);
  }
  g.textAlign = "left";
  g.fillText("rows: true class, columns: predicted", pad, canvas.height - 2 - 6);
}

function drawScatter(sc) {
  const canvas = $("boundary");
  const g = clear(canvas);
  const all = sc.true.concat(sc.pred.filter((v) => v !== null));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = 36;
  const w = canvas.width - pad - 10;
  const p = (v) => (v - lo) / (hi - lo || 1);
  axes(g, pad, 10, w, w, lo, hi);
  g.strokeStyle = "#999"; g.beginPath(); g.moveTo(pad, 10 + w); g.lineTo(pad + w, 10); g.stroke();
  g.fillStyle = "rgba(8,119,189,0.55)";
  for (let i = 0; i < sc.true.length; i++) {
    if (sc.pred[i] === null) continue;
    g.beginPath();
    g.arc(pad + p(sc.true[i]) * w, 10 + (1 - p(sc.pred[i])) * w, 2.5, 0, 2 * Math.PI);
    g.fill();
  }
  g.fillStyle = "#333";
  g.fillText("x: true value, y: predicted (test split)", pad + 4, canvas.height - 4);
}

function axes(g, x, y, w, h, lo, hi) {
  g.strokeStyle = "#bbb"; g.strokeRect(x, y, w, h);
  g.fillStyle = "#555";
  g.fillText(fmt(hi, 2), 2, y + 8);
  g.fillText(fmt(lo, 2), 2, y + h);
}

function drawLines(canvas, xs, series, logScale) {
  const g = clear(canvas);
  const pad = 44;
  const w = canvas.width - pad - 8;
  const h = canvas.height - 30;
  const f = (v) => (logScale ? Math.log10(Math.max(v, 1e-12)) : v);
  const vals = series.flatMap(([, , ys]) => ys.filter((v) => v !== null && isFinite(v)).map(f));
  if (!xs.length || !vals.length) { g.fillStyle = "#888"; g.fillText("no epochs yet", pad, 20); return; }
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (!logScale && lo >= 0 && hi <= 1) { lo = Math.min(lo, 0.4); hi = 1; }
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const x0 = xs[0];
  const x1 = Math.max(xs[xs.length - 1], x0 + 1);
  g.strokeStyle = "#bbb"; g.strokeRect(pad, 6, w, h);
  g.fillStyle = "#555";
  const label = (v) => fmt(logScale ? 10 ** v : v, 2);
  g.fillText(label(hi), 2, 14); g.fillText(label(lo), 2, 6 + h);
  g.fillText(`epoch ${x1}`, pad + w - 56, canvas.height - 8);
  g.fillText("epoch 0", pad, canvas.height - 8);
  let lx = pad + 60;
  for (const [name, color, ys] of series) {
    g.strokeStyle = color; g.lineWidth = 1.6; g.beginPath();
    let drawing = false;
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === null || !isFinite(ys[i])) { drawing = false; continue; }
      const X = pad + ((xs[i] - x0) / (x1 - x0)) * w;
      const Y = 6 + (1 - (f(ys[i]) - lo) / (hi - lo)) * h;
      if (drawing) g.lineTo(X, Y); else g.moveTo(X, Y);
      drawing = true;
    }
    g.stroke();
    g.fillStyle = color; g.fillRect(lx, canvas.height - 14, 10, 3);
    g.fillText(name, lx + 13, canvas.height - 8);
    lx += 50;
  }
}

function drawBars(canvas, labels, rows, logScale, lo, hi) {
  // rows: [[name, color, values]] drawn side by side for each label
  const g = clear(canvas);
  const pad = 70;
  const w = canvas.width - pad - 50;
  const n = labels.length;
  if (!n) { g.fillStyle = "#888"; g.fillText("no such layers in this network", 8, 20); return; }
  const band = (canvas.height - 24) / n;
  const bar = Math.min(14, (band - 4) / rows.length);
  const pos = (v) => {
    const t = logScale ? (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo) : (v - lo) / (hi - lo);
    return Math.max(0, Math.min(1, t)) * w;
  };
  labels.forEach((name, i) => {
    g.fillStyle = "#333";
    g.fillText(name, 4, 4 + i * band + band / 2 + 3);
    rows.forEach(([, color, values], r) => {
      const v = values[i];
      const y = 4 + i * band + (band - rows.length * bar) / 2 + r * bar;
      if (v === null) return;
      g.fillStyle = color;
      g.fillRect(pad, y, Math.max(1, pos(v)), bar - 2);
      g.fillStyle = "#333";
      g.fillText(logScale ? v.toExponential(1) : `${Math.round(100 * v)}%`, pad + Math.max(1, pos(v)) + 4, y + bar - 3);
    });
  });
  g.fillStyle = "#777";
  g.textAlign = "right";
  g.fillText(logScale ? `axis 1e${lo} ... 1e${hi}` : "axis 0 ... 100%", canvas.width - 4, canvas.height - 4);
  g.textAlign = "left";
  let lx = 4;
  for (const [name, color] of rows) {
    if (!name) continue;
    g.fillStyle = color; g.fillRect(lx, canvas.height - 11, 10, 8);
    g.fillStyle = "#333"; g.fillText(name, lx + 13, canvas.height - 4);
    lx += 75;
  }
}

function drawGradients(gr) {
  drawBars($("grad-chart"), gr.layers, [["", COLORS[1], gr.norm]], true, -10, 2);
  const r = gr.ratio;
  let text = r === null ? "" : `first / last layer RMS gradient: ${r.toExponential(1)}`;
  if (r !== null && r < 1e-3) text += " (vanishing: the first layers barely learn)";
  else if (r !== null && r > 1e3) text += " (exploding)";
  if (gr.norm.length > 1 && gr.norm.slice(0, -1).every((v) => v === 0)) text += " (hidden layers get no gradient at all)";
  $("grad-info").textContent = text;
}

function drawUnits(dead, sat) {
  const names = [...new Set(dead.layers.concat(sat.layers))];
  const pick = (d) => names.map((n) => { const i = d.layers.indexOf(n); return i < 0 ? null : d.fraction[i]; });
  drawBars($("units-chart"), names, [["dead", COLORS[3], pick(dead)], ["saturated", COLORS[0], pick(sat)]], false, 0, 1);
  const parts = [];
  if (dead.overall !== null) parts.push(`dead (ReLU family, inactive on every sample): ${Math.round(100 * dead.overall)}%`);
  if (sat.overall !== null) parts.push(`saturated (sigmoid/tanh family, f' near 0): ${Math.round(100 * sat.overall)}%`);
  $("units-info").textContent = parts.join("; ") || "only ReLU-family units can die and only sigmoid/tanh-like units saturate";
}

function drawActivation(c) {
  const canvas = $("act-chart");
  const g = clear(canvas);
  const finite = c.f.concat(c.df).filter((v) => v !== null && isFinite(v));
  const lo = Math.max(-3, Math.min(-1, ...finite));
  const hi = Math.min(5, Math.max(1, ...finite));
  const pad = 30;
  const w = canvas.width - pad - 8;
  const h = canvas.height - 24;
  const X = (x) => pad + ((x - c.x[0]) / (c.x[c.x.length - 1] - c.x[0])) * w;
  const Y = (y) => 4 + (1 - (Math.max(lo, Math.min(hi, y)) - lo) / (hi - lo)) * h;
  g.strokeStyle = "#ccc"; g.beginPath(); g.moveTo(pad, Y(0)); g.lineTo(pad + w, Y(0));
  g.moveTo(X(0), 4); g.lineTo(X(0), 4 + h); g.stroke();
  // a null breaks the line: the server puts one at each jump (step', relu' at 0)
  for (const [xs, ys, color, dash] of [[c.x, c.f, COLORS[1], []], [c.dx, c.df, COLORS[0], [5, 3]]]) {
    g.strokeStyle = color; g.lineWidth = 2; g.setLineDash(dash); g.beginPath();
    let prev = null;
    ys.forEach((y, i) => {
      if (y === null) { prev = null; return; }
      if (prev === null) g.moveTo(X(xs[i]), Y(y)); else g.lineTo(X(xs[i]), Y(y));
      prev = y;
    });
    g.stroke();
  }
  g.setLineDash([]);
  g.fillStyle = "#555";
  g.fillText(fmt(hi, 1), 2, 12); g.fillText(fmt(lo, 1), 2, 4 + h);
  g.fillText("-5", pad, canvas.height - 6); g.fillText("5", pad + w - 8, canvas.height - 6);
  g.fillStyle = COLORS[1]; g.fillText(`${c.name}(x)`, pad + 40, canvas.height - 6);
  g.fillStyle = COLORS[0]; g.fillText(`${c.name}'(x) (dashed)`, pad + 130, canvas.height - 6);
  $("act-info").textContent = c.note || `${c.formula};  ${c.derivative_formula}`;
  if ($("curve-name").value !== c.name) $("curve-name").value = c.name;
}

