/* Report editor: autosave each answer about a second after it changes, show and announce the
 * save state, retry when the connection is lost, warn before leaving with unsaved changes,
 * resolve conflicts with other editors, apply skip conditions, upload files.
 * Plain JavaScript, no framework, no inline code (strict Content-Security-Policy). */
(function () {
  "use strict";

  var form = document.getElementById("section-form");
  var texts = document.getElementById("editor-messages");
  if (!form || !texts) { return; }
  var t = texts.dataset;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var DEBOUNCE_MS = 800;
  var MAX_BACKOFF_MS = 30000;
  var state = {};          // key -> {timer, inFlight, dirty, failed, backoff}
  var pendingClear = null; // the save waiting for the person's confirmation

  // Dates and numbers as the page's language writes them (<html lang>: "zh-hans", "ar"…).
  // Django writes Latin digits on Arabic pages (its "ar" formats), so Arabic asks for them
  // too ("-u-nu-latn"): what is written here matches what the server wrote on the page.
  var lang = document.documentElement.lang || "en";
  var locale = /^ar\b/i.test(lang) ? lang + "-u-nu-latn" : lang;
  var timeFormat = new Intl.DateTimeFormat(locale, { timeStyle: "medium" });  // CLDR: "HH:mm:ss" in zh, "h:mm:ss a" in ar
  var numberFormat = new Intl.NumberFormat(locale, { useGrouping: false });  // as Django: no grouping
  var listFormat = window.Intl && Intl.ListFormat ? new Intl.ListFormat(locale, { type: "conjunction" }) : null;
  // The server sends the instant (ISO 8601); shown in the person's own time zone, as their clock.
  function formatTime(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? iso : timeFormat.format(date);
  }
  function formatList(items) { return listFormat ? listFormat.format(items) : items.join(", "); }

  // Translated sentences carry %(name)s placeholders, filled in here (never concatenated).
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return values[name] !== undefined ? values[name] : all; });
  }
  function questions() { return form.querySelectorAll(".question"); }
  function questionFor(el) { return el.closest(".question"); }
  function byKey(key) {
    var found = null;
    questions().forEach(function (q) { if (q.dataset.key === key) { found = q; } });
    return found;
  }
  function entry(key) {
    if (!state[key]) { state[key] = { timer: null, inFlight: false, dirty: false, failed: false, backoff: 1000 }; }
    return state[key];
  }

  /* --- reading an answer from the page, per question type --- */
  function valueOf(q) {
    var type = q.dataset.type;
    if (type === "yes_no" || type === "single_choice") {
      var checked = q.querySelector("input[type=radio]:checked");
      return checked ? checked.value : null;
    }
    if (type === "multiple_choice") {
      return Array.prototype.map.call(q.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
    }
    if (type === "contact") {
      var contact = {};
      q.querySelectorAll("[data-field]").forEach(function (i) { contact[i.dataset.field] = i.value; });
      return contact;
    }
    if (type === "table") {
      var rows = [];
      q.querySelectorAll("tbody tr").forEach(function (tr) {
        var row = {}, filled = false;
        tr.querySelectorAll("[data-col]").forEach(function (i) { row[i.dataset.col] = i.value; if (i.value.trim()) { filled = true; } });
        if (filled) { rows.push(row); }
      });
      return rows;
    }
    if (type === "file") {
      return Array.prototype.map.call(q.querySelectorAll(".files li[data-token]"), function (li) { return li.dataset.token; });
    }
    var input = q.querySelector("input:not([type=hidden]):not([type=file]), textarea");
    return input && input.value !== "" ? input.value : null;
  }

  /* --- save state, announced through each question's aria-live region --- */
  function show(q, kind, text) {
    var el = q.querySelector(".save-state");
    if (!el) { return; }
    el.className = "save-state " + kind;
    el.textContent = text;
  }
  // The fields an error is about: the question's one input, or in a group (contact, table)
  // those the browser itself finds invalid (an e-mail address, a link, a date).
  function fieldsInError(q) {
    var single = document.getElementById(q.id + "-input");
    if (single && single.matches("input, textarea")) { return [single]; }
    return Array.prototype.filter.call(q.querySelectorAll("input:not([type=hidden]), textarea"), function (i) { return !i.checkValidity(); });
  }
  function showError(q, message) {
    var el = q.querySelector(".field-error");
    el.textContent = message || "";
    el.hidden = !message;
    q.classList.toggle("has-error", !!message);
    // Each field carries aria-describedby="<question>-error"; aria-invalid marks the wrong ones.
    q.querySelectorAll("[aria-invalid]").forEach(function (i) { i.removeAttribute("aria-invalid"); });
    if (message) { fieldsInError(q).forEach(function (i) { i.setAttribute("aria-invalid", "true"); }); }
  }
  function unsaved() {
    return Object.keys(state).some(function (k) { var s = state[k]; return s.dirty || s.inFlight || s.failed || s.timer; });
  }
  window.addEventListener("beforeunload", function (event) {
    if (unsaved()) { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("online", function () {
    Object.keys(state).forEach(function (k) { if (state[k].failed) { send(k); } });
  });

  /* --- skip conditions: show or hide dependent questions at once --- */
  function conditionHolds(cond) {
    var source = byKey(cond.key);
    if (!source || source.hidden) { return false; }
    var value = valueOf(source);
    var wanted = cond["in"] || [];
    if (Array.isArray(value)) { return value.some(function (v) { return wanted.indexOf(v) >= 0; }); }
    return wanted.indexOf(value) >= 0;
  }
  function isEmpty(v) {
    return v === null || v === "" || (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).every(function (k) { return !v[k]; }));
  }
  function wouldHide() {
    // Questions on this page that apply now, would not apply after the change, and hold an answer.
    var lost = [];
    questions().forEach(function (q) {
      if (!q.dataset.condition || q.hidden) { return; }
      if (!conditionHolds(JSON.parse(q.dataset.condition)) && !isEmpty(valueOf(q))) { lost.push(q); }
    });
    return lost;
  }
  function applyConditions(revealOnly) {
    for (var pass = 0; pass < 5; pass++) {  // conditions may chain
      questions().forEach(function (q) {
        if (!q.dataset.condition) { return; }
        var holds = conditionHolds(JSON.parse(q.dataset.condition));
        if (holds || !revealOnly) { q.hidden = !holds; }
      });
    }
  }

  /* --- sending --- */
  function schedule(key, delay) {
    var s = entry(key);
    s.dirty = true;
    clearTimeout(s.timer);
    s.timer = setTimeout(function () { s.timer = null; send(key); }, delay);
  }

  function send(key, clearHidden) {
    var q = byKey(key), s = entry(key);
    if (!q) { return; }
    if (s.inFlight) { s.dirty = true; return; }  // one save at a time per answer, in order
    if (!clearHidden) {
      var lost = wouldHide();
      if (lost.length) { askBeforeClearing(key, lost); return; }
    }
    s.inFlight = true; s.dirty = false;
    show(q, "saving", t.saving);
    var body = { answers: [{ key: key, value: valueOf(q), revision: parseInt(q.dataset.revision, 10) || 0 }], clear_hidden: !!clearHidden };
    fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    }).then(function (r) {
      s.inFlight = false;
      handle(key, q, r.status, r.data);
      if (s.dirty && !s.failed) { send(key); }
    }).catch(function () {
      s.inFlight = false;
      retry(key, q);
    });
  }

  // `why`: the sentence for the banner (default: the connection is lost).
  function retry(key, q, why) {
    var s = entry(key);
    s.failed = true; s.dirty = true;
    show(q, "retrying", t.retrying);
    announceOffline(why || t.offline);
    setTimeout(function () { if (s.failed) { send(key); } }, s.backoff);
    s.backoff = Math.min(s.backoff * 2, MAX_BACKOFF_MS);
  }

  var offlineShown = false;
  function announceOffline(text) {
    if (offlineShown) {
      var shown = document.querySelector(".offline");
      if (shown && shown.textContent !== text) { shown.textContent = text; }
      return;
    }
    offlineShown = true;
    var box = document.createElement("p");
    box.className = "message message-warning offline";
    box.setAttribute("role", "alert");
    box.textContent = text;
    form.parentNode.insertBefore(box, form);
  }
  function clearOffline() {
    var box = document.querySelector(".offline");
    if (box && !Object.keys(state).some(function (k) { return state[k].failed; })) { box.remove(); offlineShown = false; }
  }

  function handle(key, q, status, data) {
    var s = entry(key);
    if (status === 200) {
      s.failed = false; s.backoff = 1000;
      q.dataset.revision = data.revisions[key];
      var rev = q.querySelector("input[name='rev:" + key + "']");
      if (rev) { rev.value = data.revisions[key]; }
      showError(q, "");
      show(q, "saved", fill(t.saved, { time: formatTime(data.saved_at) }));
      applyServerState(data);
      clearOffline();
    } else if (status === 400) {
      s.failed = false;
      showError(q, (data.errors && data.errors[key]) || data.detail);
      show(q, "failed", t.failed);
    } else if (status === 409 && data.code === "conflict") {
      s.failed = false;
      showConflict(key, q, data.conflicts[key]);
      show(q, "failed", t.failed);
    } else if (status === 409 && data.code === "confirm_clear") {
      s.failed = false;
      askBeforeClearing(key, (data.questions || []).map(function (x) { return byKey(x.key) || x; }));
    } else if (status === 503) {
      // The server is up but cannot save for a moment (database restarting): nothing was
      // saved, the same request is sent again later.
      retry(key, q, t.unavailable);
    } else if (status >= 500 || status === 0) {
      retry(key, q);
    } else {
      s.failed = false;
      showError(q, data.detail || t.notEditable);
      show(q, "failed", t.failed);
    }
  }

  function applyServerState(data) {
    (data.cleared || []).forEach(function (k) { var q = byKey(k); if (q) { reload(k); } });
    questions().forEach(function (q) {
      if (data.visible) { q.hidden = data.visible.indexOf(q.dataset.key) < 0; }
    });
    Object.keys(data.derived || {}).forEach(function (k) {
      var q = byKey(k);
      if (q) { q.querySelector("output").textContent = data.derived[k] || "—"; }
    });
    if (data.progress) {
      var bar = document.getElementById("report-progress-bar");
      if (bar) { bar.value = data.progress.percent; }
      var text = document.getElementById("report-progress");
      if (text) {
        text.textContent = fill(t.progress, {
          percent: numberFormat.format(data.progress.percent),
          answered: numberFormat.format(data.progress.answered),
          required: numberFormat.format(data.progress.required)
        });
      }
    }
    Object.keys(data.sections || {}).forEach(function (k) {
      document.querySelectorAll(".section-progress[data-section='" + k + "']").forEach(function (el) {
        el.textContent = numberFormat.format(data.sections[k]) + "%";
      });
    });
  }

  /* --- conflicts: never a silent overwrite --- */
  function showConflict(key, q, theirs) {
    var box = q.querySelector(".conflict");
    box.innerHTML = "";
    var p = document.createElement("p");
    var answer = theirs.display || "—";
    p.textContent = theirs.updated_by ? fill(t.conflictBy, { person: theirs.updated_by, answer: answer }) : fill(t.conflict, { answer: answer });
    var keep = document.createElement("button");
    keep.type = "button"; keep.textContent = t.keepMine;
    keep.addEventListener("click", function () {
      q.dataset.revision = theirs.revision; box.hidden = true; send(key);
    });
    var use = document.createElement("button");
    use.type = "button"; use.className = "secondary"; use.textContent = t.useTheirs;
    use.addEventListener("click", function () { box.hidden = true; reload(key); });
    box.appendChild(p); box.appendChild(keep); box.appendChild(use);
    box.hidden = false;
    keep.focus();
  }

  function reload(key) {
    var url = form.dataset.fragmentUrl.replace("KEY", encodeURIComponent(key));
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var old = byKey(key);
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector(".question");
      if (old && fresh) { old.replaceWith(fresh); applyConditions(); }
    });
  }

  /* --- answers that stop applying: say so before clearing them --- */
  function askBeforeClearing(key, lost) {
    var box = document.getElementById("clear-confirm");
    var names = lost.map(function (q) {
      if (q.querySelector) { var n = q.querySelector(".qnum"); return n ? n.textContent : q.dataset.key; }
      return q.number || q.key;
    });
    document.getElementById("clear-confirm-text").textContent = fill(t.clearIntro, { questions: formatList(names) });
    box.hidden = false;
    pendingClear = key;
    document.getElementById("clear-confirm-yes").focus();
  }
  document.getElementById("clear-confirm-yes").addEventListener("click", function () {
    var key = pendingClear; pendingClear = null;
    document.getElementById("clear-confirm").hidden = true;
    applyConditions();
    send(key, true);
  });
  document.getElementById("clear-confirm-no").addEventListener("click", function () {
    var key = pendingClear; pendingClear = null;
    document.getElementById("clear-confirm").hidden = true;
    entry(key).dirty = false;
    reload(key);
  });

  /* --- files --- */
  function upload(q, input) {
    var file = input.files[0];
    if (!file) { return; }
    var data = new FormData();
    data.append("key", q.dataset.key);
    data.append("file", file);
    show(q, "saving", t.saving);
    fetch(form.dataset.uploadUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, body: data })
      .then(function (response) { return response.json().then(function (d) { return { status: response.status, data: d }; }); })
      .then(function (r) {
        input.value = "";
        if (r.status === 200) {
          var li = document.createElement("li");
          li.dataset.token = r.data.attachment.token;
          var a = document.createElement("a");
          a.href = r.data.attachment.url; a.textContent = r.data.attachment.name;
          li.appendChild(a);
          var remove = document.createElement("button");
          remove.type = "button"; remove.className = "secondary remove-file"; remove.textContent = fill(t.remove, { name: r.data.attachment.name });
          li.appendChild(remove);
          q.querySelector(".files").appendChild(li);
        }
        handle(q.dataset.key, q, r.status, r.data);
      })
      .catch(function () { show(q, "failed", t.failed); });
  }

  /* --- wiring --- */
  form.addEventListener("input", function (event) {
    var q = questionFor(event.target);
    if (!q || event.target.type === "file") { return; }
    var typing = event.target.matches("input[type=text], input[type=email], input[type=tel], input[type=url], textarea");
    applyConditions(true);  // questions that now apply appear at once; hiding waits for the save
    schedule(q.dataset.key, typing ? DEBOUNCE_MS : 0);
  });
  form.addEventListener("change", function (event) {
    var q = questionFor(event.target);
    if (!q) { return; }
    if (event.target.type === "file") { upload(q, event.target); return; }
    schedule(q.dataset.key, 0);
  });
  form.addEventListener("click", function (event) {
    var q = questionFor(event.target);
    if (!q) { return; }
    if (event.target.classList.contains("remove-file")) {
      event.target.closest("li").remove();
      schedule(q.dataset.key, 0);
    } else if (event.target.classList.contains("add-row")) {
      var body = q.querySelector("tbody");
      var last = body.querySelector("tr:last-child");
      var row = last.cloneNode(true);
      var index = body.querySelectorAll("tr").length;
      row.querySelectorAll("input").forEach(function (i) {
        i.value = "";
        i.name = i.name.replace(/\.\d+\.(?=[^.]+$)/, "." + index + ".");
      });
      body.appendChild(row);
      row.querySelector("input").focus();
    }
  });
  form.addEventListener("submit", function (event) {
    // With JavaScript every answer is already saved; flush what is pending instead.
    if (Object.keys(state).length) {
      event.preventDefault();
      Object.keys(state).forEach(function (k) { if (state[k].dirty || state[k].timer) { clearTimeout(state[k].timer); state[k].timer = null; send(k); } });
    }
  });

  /* --- who else is editing --- */
  function ping() {
    fetch(form.dataset.presenceUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var el = document.getElementById("presence");
        if (el) { el.textContent = data.others && data.others.length ? fill(t.alsoEditing, { names: formatList(data.others) }) : ""; }
      }).catch(function () {});
  }
  setInterval(ping, 30000);
})();
