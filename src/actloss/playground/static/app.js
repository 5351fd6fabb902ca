// actloss playground: the page. It only draws; actloss trains on the server (see _app.py for
// the WebSocket protocol). Hand-written, no libraries, no build step.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";

let ws = null;
let session = null;
let options = null;
let dataset = null;           // the last "dataset" message
let upload = null;            // {upload, name, columns}
let runHistory = {epoch: [], loss: [], test_loss: [], metric: [], test_metric: []};
let layers = [];              // [{units, activation}]
let lossChoice = null;        // null: the task's default
let pending = null;
let errorTimer = null;
let uploadLimit = Infinity;

// ------------------------------------------------------------------ connection
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const base = location.pathname.replace(/[^/]*$/, "");
  ws = new WebSocket(`${scheme}://${location.host}${base}ws?token=${encodeURIComponent(TOKEN)}`);
  ws.onmessage = (event) => handle(JSON.parse(event.data));
  ws.onclose = () => { setState("disconnected"); showError("The connection to the server closed. Restart 'actloss playground' and reload."); };
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function handle(m) {
  switch (m.type) {
    case "hello": return hello(m);
    case "reset": return clearHistory();
    case "dataset": return showDataset(m);
    case "model": return showModel(m);
    case "snapshot": return showSnapshot(m);
    case "activation": return drawActivation(m.curve);
    case "state": return setState(m.state);
    case "error": return showError(m.message);
    default: return null;
  }
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

function setState(state) {
  document.body.dataset.state = state;
  $("state").textContent = state;
}

// ------------------------------------------------------------------ controls
function fillSelect(select, values, selected, labels) {
  select.replaceChildren(...values.map((v, i) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = labels ? labels[i] : v;
    if (String(v) === String(selected)) o.selected = true;
    return o;
  }));
}

function hello(m) {
  session = m.session;
  options = m.options;
  uploadLimit = m.upload_limit;
  const d = options.defaults;
  const sets = options.datasets.concat(["csv"]);
  fillSelect($("dataset"), sets, d.data, sets.map((s) => (s === "csv" ? "your CSV file" : s)));
  fillSelect($("optimizer"), options.optimizers, d.optimizer);
  fillSelect($("curve-name"), options.activations, "relu");
  layers = d.layers.map((l) => ({...l}));
  renderLayers();
  setOwnNoise();
  for (const [id, what] of [["save-actloss", "model.actloss"], ["save-keras", "model.keras"],
                            ["save-history", "history.csv"]]) {
    $(id).href = `download/${what}?token=${encodeURIComponent(TOKEN)}&session=${encodeURIComponent(session)}`;
  }
  updateDataControls();
  setState("paused");
  sendConfig();
}

function renderLayers() {
  const box = $("layers");
  box.replaceChildren(...layers.map((layer, i) => {
    const row = document.createElement("div");
    row.className = "layer";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `hidden ${i + 1}`;
    const units = document.createElement("input");
    units.type = "number"; units.min = 1; units.max = options.limits.units;
    units.value = layer.units; units.className = "units"; units.title = "units";
    units.addEventListener("change", () => {
      const n = Math.max(1, Math.min(options.limits.units, Math.round(Number(units.value) || 1)));
      units.value = n; layer.units = n; sendConfig();
    });
    const act = document.createElement("select");
    act.className = "layer-activation"; act.title = "activation";
    fillSelect(act, options.activations, layer.activation);
    act.addEventListener("change", () => { layer.activation = act.value; sendConfig(); });
    row.append(name, units, act);
    return row;
  }));
  $("remove-layer").disabled = layers.length === 0;
  $("add-layer").disabled = layers.length >= options.limits.layers;
}

function setOwnNoise() {
  // each generated set starts at its own noise (the library's default for it)
  const own = options.noise[$("dataset").value];
  if (own !== undefined) $("noise").value = own;
}

function updateDataControls() {
  const data = $("dataset").value;
  $("generated-controls").hidden = !options.generated.includes(data);
  $("csv-controls").hidden = data !== "csv";
  $("noise-out").textContent = $("noise").value;
  $("test-out").textContent = `${Math.round(100 * Number($("test-fraction").value))}%`;
}

function currentConfig() {
  const data = $("dataset").value;
  const batch = $("batch-size").value;
  const cfg = {
    data, noise: Number($("noise").value), test_fraction: Number($("test-fraction").value),
    n_samples: Number($("n-samples").value), seed: Math.max(0, Math.round(Number($("seed").value) || 0)),
    layers: layers.map((l) => ({units: l.units, activation: l.activation})), loss: lossChoice,
    optimizer: $("optimizer").value, learning_rate: Number($("learning-rate").value),
    batch_size: batch === "all" ? "all" : Number(batch),
    l1: Number($("l1").value), l2: Number($("l2").value),
  };
  if (data === "csv") {
    cfg.upload = upload ? upload.upload : null;
    cfg.target = $("target").value || null;
  }
  return cfg;
}

function sendConfig() {
  // several quick changes (a slider being dragged) make one message
  clearTimeout(pending);
  pending = setTimeout(flushConfig, 120);
}

function flushConfig() {
  if (pending === null) return;
  clearTimeout(pending);
  pending = null;
  if ($("dataset").value === "csv" && !upload) {
    $("csv-info").textContent = "choose a CSV file to upload";
    return;
  }
  send({type: "config", config: currentConfig()});
}

function command(type) {
  // a change still waiting to be sent goes first: the server applies messages in order
  flushConfig();
  send({type});
}

async function uploadCsv(file) {
  if (file.size > uploadLimit) {
    showError(`${file.name} is larger than the upload limit of ${uploadLimit / 1048576} MB`);
    return;
  }
  $("csv-info").textContent = `uploading ${file.name} ...`;
  const url = `upload?token=${encodeURIComponent(TOKEN)}&name=${encodeURIComponent(file.name)}`;
  const response = await fetch(url, {method: "POST", body: file, headers: {"Content-Type": "text/csv"}});
  const body = await response.json().catch(() => ({error: `upload failed (${response.status})`}));
  if (!response.ok) {
    $("csv-info").textContent = body.error;
    showError(body.error);
    return;
  }
  upload = body;
  fillSelect($("target"), body.columns, body.columns[body.columns.length - 1]);
  $("csv-info").textContent = `${body.name}: ${body.rows} rows, ${body.columns.length} columns`;
  lossChoice = null;
  sendConfig();
}

function wireControls() {
  for (const type of ["run", "pause", "step", "reset"]) $(type).onclick = () => command(type);
  $("add-layer").onclick = () => {
    const last = layers[layers.length - 1] || {units: 8, activation: "relu"};
    layers.push({...last}); renderLayers(); sendConfig();
  };
  $("remove-layer").onclick = () => { layers.pop(); renderLayers(); sendConfig(); };
  $("dataset").onchange = () => {
    lossChoice = null; setOwnNoise(); updateDataControls(); sendConfig();
  };
  for (const id of ["noise", "test-fraction"]) {
    $(id).oninput = () => { updateDataControls(); sendConfig(); };
  }
  for (const id of ["n-samples", "seed", "optimizer", "learning-rate", "batch-size", "l1", "l2"]) {
    $(id).onchange = sendConfig;
  }
  $("target").onchange = () => { lossChoice = null; sendConfig(); };
  $("loss").onchange = () => { lossChoice = $("loss").value; sendConfig(); };
  $("csv-file").onchange = (event) => { if (event.target.files[0]) uploadCsv(event.target.files[0]); };
  $("curve-name").onchange = () => send({type: "activation", name: $("curve-name").value});
}

// ------------------------------------------------------------------ messages from training
function clearHistory() {
  runHistory = {epoch: [], loss: [], test_loss: [], metric: [], test_metric: []};
}

function showDataset(m) {
  dataset = m;
  fillSelect($("loss"), m.losses, m.loss);
  const what = m.classes ? `${m.classes.length} classes` : "regression";
  $("data-info").textContent = `${m.name}: ${m.task}, ${m.features} features, ${what}, ` +
    `${m.n_train} train / ${m.n_test} test rows, standardized`;
  const name = m.metric === "r2" ? "R\u00b2" : "accuracy";
  $("metric-name").textContent = name;
  $("metric-title").textContent = name === "accuracy" ? "Accuracy" : "R\u00b2";
  $("view-title").textContent = m.features === 2 ? "Decision boundary" :
    (m.task === "regression" ? "Predicted vs true (test)" : "Confusion matrix (test)");
}

function showModel(m) {
  $("save-keras").hidden = !m.formats.includes("keras");
  $("model-info").textContent = `${m.params} parameters`;
  if (m.activations.length) {
    $("curve-name").value = m.activations[0].name;
    drawActivation(m.activations[0]);
  }
}

function showSnapshot(s) {
  const h = s.history;
  for (const k of Object.keys(runHistory)) {
    runHistory[k].length = h.from;
    runHistory[k].push(...h[k]);
  }
  setState(s.state);
  $("epoch").textContent = s.epoch;
  document.body.dataset.epoch = s.epoch;
  $("train-loss").textContent = fmt(s.last.loss);
  $("test-loss").textContent = fmt(s.last.test_loss);
  $("train-metric").textContent = fmt(s.last.metric, 3);
  $("test-metric").textContent = fmt(s.last.test_metric, 3);
  if (s.boundary && dataset) drawBoundary(s.boundary, dataset);
  else if (s.confusion) drawConfusion(s.confusion, dataset && dataset.classes);
  else if (s.scatter) drawScatter(s.scatter);
  drawLines($("loss-chart"), runHistory.epoch, [["train", COLORS[1], runHistory.loss], ["test", COLORS[0], runHistory.test_loss]], true);
  drawLines($("metric-chart"), runHistory.epoch, [["train", COLORS[1], runHistory.metric], ["test", COLORS[0], runHistory.test_metric]], false);
  drawGradients(s.gradients);
  drawUnits(s.dead, s.saturation);
}

wireControls();
connect();
