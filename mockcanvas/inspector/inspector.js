// The mockcanvas inspector: plain ES2020, no build step, nothing from the internet.
// Every value from the server goes into the page as text (textContent, option.text, attributes
// set with setAttribute); no HTML is ever parsed from data.
"use strict";

const TOKEN_KEY = "mockcanvas-control-token";
const SHARD_FACTOR = 10000000000000n; // a global id is shard * 10^13 + the local id
const FEED_MAX = 500; // events kept in the feed; older ones drop off the bottom
const AUDIT_PER_PAGE = 20;

const state = {
  token: null,
  adminToken: null,
  coursesNext: null,
  course: null, // {id, name, serial}
  serial: 0,
  peopleNext: null,
  auditNext: null,
  lastEventId: null,
  streamRetry: 2000,
  subscriptions: [],
  // "<event uuid> <subscription id>" -> attempts logged when a redelivery was asked for: until
  // the log shows a newer attempt the row reads "queued" (a requeue writes no log entry).
  redelivering: new Map(),
  deliveryTimer: null,
  auditTimer: null,
};

// -- small helpers -----------------------------------------------------------------------------

function $(selector) {
  return document.querySelector(selector);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function localId(value) {
  // Live Events carry global ids ("10000000000123") or local ones ("123"): the local id as text.
  if (value === null || value === undefined || value === "") return "";
  try {
    return (BigInt(String(value)) % SHARD_FACTOR).toString();
  } catch (_) {
    return String(value);
  }
}

function showError(message) {
  const node = $("#error");
  node.textContent = message;
  node.hidden = !message;
}

function errorMessage(body, status) {
  if (body && typeof body === "object") {
    if (typeof body.message === "string") return body.message;
    if (Array.isArray(body.errors) && body.errors.length && body.errors[0].message) {
      return String(body.errors[0].message);
    }
  }
  return `HTTP ${status}`;
}

function controlHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  if (state.token) headers["X-Mockcanvas-Token"] = state.token;
  return headers;
}

async function control(method, path, body) {
  const init = { method, headers: controlHeaders() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (method !== "GET") {
    // The server takes a body-less change only with this header: no other site can send it.
    init.headers["X-Mockcanvas-Request"] = "1";
  }
  const response = await fetch("/_mockcanvas" + path, init);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) throw new Error(errorMessage(data, response.status));
  return data;
}

function nextLink(header) {
  // RFC 8288 Link header: the URL of rel="next", if any.
  if (!header) return null;
  for (const part of header.split(",")) {
    const match = part.match(/<([^>]*)>\s*;\s*rel="?next"?/);
    if (match) return match[1];
  }
  return null;
}

// -- the token ---------------------------------------------------------------------------------

function takeToken() {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  state.token = sessionStorage.getItem(TOKEN_KEY);
}

// -- courses, people, assignments --------------------------------------------------------------

async function loadCourses(page) {
  const data = await control("GET", `/world/courses?page=${page}&per_page=50`);
  if (data.admin) state.adminToken = data.admin.token;
  const list = $("#courses");
  if (page === 1) clear(list);
  for (const course of data.courses) {
    const item = el(
      "li",
      { "data-course-id": course.id, tabindex: 0 },
      el("span", { className: "name" }, course.name),
      " ",
      el("span", { className: "muted" }, `#${course.id} ${course.course_code || ""}`)
    );
    item.addEventListener("click", () => selectCourse(course));
    item.addEventListener("keydown", (e) => {
      if (e.key === "Enter") selectCourse(course);
    });
    list.append(item);
  }
  state.coursesNext = data.next_page;
  $("#courses-more").hidden = !data.next_page;
  if (page === 1 && data.courses.length && !state.course) selectCourse(data.courses[0]);
}

async function selectCourse(course, again) {
  if (!again && state.course && state.course.id === course.id) return; // already shown
  const serial = ++state.serial; // a later pick wins over a load still on its way
  state.course = { id: course.id, name: course.name, serial };
  for (const item of document.querySelectorAll("#courses li")) {
    item.classList.toggle("selected", item.getAttribute("data-course-id") === String(course.id));
  }
  $("#course-title").textContent = `${course.name} (#${course.id})`;
  $("#grade-result").textContent = "";
  clear($("#people tbody"));
  clear($("#assignments"));
  for (const id of ["#grade-assignment", "#grade-student", "#grade-grader"]) clear($(id));
  try {
    await loadCoursePage(course.id, 1);
    await loadAudit(null);
  } catch (error) {
    showError(error.message);
  }
}

async function loadCoursePage(courseId, page) {
  const serial = state.course.serial;
  const data = await control("GET", `/world/courses/${courseId}?page=${page}&per_page=100`);
  if (!state.course || state.course.serial !== serial) return;
  if (page === 1) {
    for (const assignment of data.assignments) {
      const points = assignment.points_possible === null ? "-" : assignment.points_possible;
      $("#assignments").append(
        el(
          "li",
          { "data-assignment-id": assignment.id },
          el("span", { className: "name" }, assignment.name),
          " ",
          el("span", { className: "muted" }, `#${assignment.id} ${assignment.grading_type}, ${points} pts`)
        )
      );
      $("#grade-assignment").append(new Option(`${assignment.name} (${assignment.grading_type})`, String(assignment.id)));
    }
    for (const grader of data.graders) {
      $("#grade-grader").append(new Option(`${grader.name} (#${grader.id})`, String(grader.id)));
    }
  }
  for (const person of data.people) {
    const token = el("code", { className: "token" }, person.token || "");
    const copy = el("button", { type: "button", className: "copy" }, "Copy");
    copy.addEventListener("click", () => copyText(person.token || "", copy));
    $("#people tbody").append(
      el(
        "tr",
        { "data-user-id": person.id },
        el("td", {}, person.name),
        el("td", {}, person.id),
        el("td", {}, person.roles.join(", ")),
        el("td", {}, token),
        el("td", {}, copy)
      )
    );
    if (person.roles.includes("StudentEnrollment")) {
      $("#grade-student").append(new Option(`${person.name} (#${person.id})`, String(person.id)));
    }
  }
  state.peopleNext = data.next_page;
  $("#people-more").hidden = !data.next_page;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (_) {
    // No clipboard (an insecure origin): select the token for a manual copy.
    const code = button.closest("tr").querySelector("code.token");
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Selected";
  }
  setTimeout(() => {
    button.textContent = "Copy";
  }, 1500);
}

// -- the audit log -----------------------------------------------------------------------------

async function fetchAudit(url) {
  const headers = {};
  if (state.adminToken) headers.Authorization = `Bearer ${state.adminToken}`;
  const response = await fetch(url, { headers });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(errorMessage(data, response.status));
  return { data, next: nextLink(response.headers.get("Link")) };
}

function auditRow(event, names) {
  const links = event.links || {};
  const who = (id) => (id === null || id === undefined ? "-" : names.get(String(id)) || `#${id}`);
  const grade = (value, excused) => (excused ? "excused" : value === null ? "-" : value);
  return el(
    "tr",
    { "data-event-id": event.id },
    el("td", {}, event.created_at),
    el("td", {}, event.event_type),
    el("td", {}, who(links.student)),
    el("td", {}, links.assignment === undefined ? "(override)" : who(links.assignment)),
    el("td", {}, grade(event.grade_before, event.excused_before)),
    el("td", {}, grade(event.grade_after, event.excused_after)),
    el("td", {}, who(links.grader))
  );
}

function linkedNames(data) {
  const names = new Map();
  const linked = data.linked || {};
  for (const user of linked.users || []) names.set(String(user.id), user.name);
  for (const assignment of linked.assignments || []) names.set(String(assignment.id), assignment.name);
  return names;
}

function firstAuditUrl() {
  return `/api/v1/audit/grade_change/courses/${state.course.id}?per_page=${AUDIT_PER_PAGE}`;
}

async function loadAudit(url) {
  if (!state.course) return;
  const serial = state.course.serial;
  const { data, next } = await fetchAudit(url || firstAuditUrl());
  if (!state.course || state.course.serial !== serial) return;
  const body = $("#audit tbody");
  clear(body);
  const names = linkedNames(data);
  for (const event of data.events) body.append(auditRow(event, names));
  state.auditNext = next;
  state.auditFirstPage = !url;
  $("#audit-next").disabled = !next;
}

async function auditNewRows() {
  // A grade_change of the selected course: put its new audit rows at the top of the first page.
  if (!state.course || !state.auditFirstPage) return;
  const serial = state.course.serial;
  const { data } = await fetchAudit(firstAuditUrl());
  if (!state.course || state.course.serial !== serial) return;
  const body = $("#audit tbody");
  const names = linkedNames(data);
  const fresh = data.events.filter(
    (e) => !body.querySelector(`tr[data-event-id="${CSS.escape(e.id)}"]`)
  );
  for (const event of fresh.reverse()) body.prepend(auditRow(event, names));
  while (body.children.length > AUDIT_PER_PAGE) body.lastElementChild.remove(); // one page
}

// -- the feed ----------------------------------------------------------------------------------

function eventFacts(entry) {
  const payload = entry.event || {};
  const meta = payload.metadata || {};
  const body = payload.body || {};
  return {
    courseId: localId(body.course_id || meta.context_id),
    userId: localId(body.student_id || body.user_id),
  };
}

function matchesFilters(item) {
  const name = $("#filter-name").value;
  const course = $("#filter-course").value.trim();
  const student = $("#filter-student").value.trim();
  return (
    (!name || item.getAttribute("data-event-name") === name) &&
    (!course || item.getAttribute("data-course-id") === course) &&
    (!student || item.getAttribute("data-user-id") === student)
  );
}

function applyFilters() {
  for (const item of document.querySelectorAll("#feed li.event")) {
    item.hidden = !matchesFilters(item);
  }
}

function deliveryRow(item, subscription) {
  const holder = item.querySelector(".deliveries");
  let row = holder.querySelector(`[data-row-subscription-id="${subscription.id}"]`);
  if (!row) {
    const span = el("span", {
      className: "delivery",
      "data-subscription-id": subscription.id,
      "data-outcome": "pending",
    }, "pending");
    const button = el("button", {
      type: "button",
      className: "redeliver",
      "data-subscription-id": subscription.id,
    }, "Redeliver");
    button.addEventListener("click", () => redeliver(subscription.id, item));
    row = el("div", { "data-row-subscription-id": subscription.id },
      el("span", { className: "muted" }, `${subscription.name}: `), span, " ", button);
    holder.append(row);
  }
  return row;
}

function addEvent(entry) {
  const facts = eventFacts(entry);
  const feed = $("#feed");
  if (feed.querySelector(`li[data-event-id="${entry.seq}"]`)) return;
  const item = el(
    "li",
    {
      className: "event",
      "data-event-id": entry.seq, // the stream's id: line
      "data-event-uuid": entry.id, // the event's own id, which delivery logs name
      "data-event-name": entry.event_name,
      "data-course-id": facts.courseId,
      "data-user-id": facts.userId,
    },
    el(
      "details",
      {},
      el(
        "summary",
        {},
        el("span", { className: "seq" }, `#${entry.seq}`),
        " ",
        el("strong", {}, entry.event_name),
        ` course ${facts.courseId || "-"}, user ${facts.userId || "-"} `,
        el("span", { className: "muted" }, (entry.event.metadata || {}).event_time || "")
      ),
      el("pre", { className: "event-json" }, JSON.stringify(entry.event, null, 2))
    ),
    el("div", { className: "deliveries" })
  );
  for (const subscription of state.subscriptions) deliveryRow(item, subscription);
  item.hidden = !matchesFilters(item);
  feed.prepend(item);
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
  if (state.subscriptions.length) scheduleDeliveries();
  if (
    entry.event_name === "grade_change" &&
    state.course &&
    facts.courseId === String(state.course.id)
  ) {
    clearTimeout(state.auditTimer);
    state.auditTimer = setTimeout(() => auditNewRows().catch((e) => showError(e.message)), 100);
  }
}

function scheduleDeliveries() {
  clearTimeout(state.deliveryTimer);
  state.deliveryTimer = setTimeout(() => refreshDeliveries().catch((e) => showError(e.message)), 300);
}

async function refreshDeliveries() {
  if (!state.subscriptions.length) return;
  const items = Array.from(document.querySelectorAll("#feed li.event")).slice(0, 100);
  if (!items.length) return;
  const query = items
    .map((item) => "event_id=" + encodeURIComponent(item.getAttribute("data-event-uuid")))
    .join("&");
  const data = await control("GET", `/live_events/deliveries?${query}`);
  let unsettled = false;
  for (const item of items) {
    const found = new Map();
    for (const row of data.deliveries[item.getAttribute("data-event-uuid")] || []) {
      found.set(row.subscription_id, row);
    }
    for (const subscription of state.subscriptions) {
      const span = deliveryRow(item, subscription).querySelector("span.delivery");
      const row = found.get(subscription.id);
      const key = `${item.getAttribute("data-event-uuid")} ${subscription.id}`;
      const asked = state.redelivering.get(key);
      if (asked !== undefined && row && row.attempts <= asked) {
        span.setAttribute("data-outcome", "queued");
        span.textContent = "queued";
        unsettled = true;
        continue;
      }
      state.redelivering.delete(key);
      const outcome = row ? row.outcome : "pending";
      span.setAttribute("data-outcome", outcome);
      span.textContent = row
        ? `${outcome}${row.attempts > 1 ? ` (${row.attempts} attempts)` : ""}${row.error ? `: ${row.error}` : ""}`
        : "pending";
      span.setAttribute("data-attempts", row ? row.attempts : 0);
      if (outcome === "pending" || outcome === "retrying" || outcome === "queued") unsettled = true;
    }
  }
  if (unsettled) {
    clearTimeout(state.deliveryTimer);
    state.deliveryTimer = setTimeout(() => refreshDeliveries().catch((e) => showError(e.message)), 1000);
  }
}

async function redeliver(subscriptionId, item) {
  try {
    const uuid = item.getAttribute("data-event-uuid");
    const span = item.querySelector(`span.delivery[data-subscription-id="${subscriptionId}"]`);
    const attempts = Number((span && span.getAttribute("data-attempts")) || 0);
    const eventId = encodeURIComponent(uuid);
    const answer = await control(
      "POST",
      `/subscriptions/${subscriptionId}/redeliver?event_id=${eventId}`
    );
    if (answer.requeued) state.redelivering.set(`${uuid} ${subscriptionId}`, attempts);
    await loadSubscriptions();
    scheduleDeliveries();
  } catch (error) {
    showError(error.message);
  }
}

// -- the live stream (SSE over fetch, so the control token travels in a header) ----------------

function setStatus(text) {
  $("#status").textContent = text;
  $("#status").setAttribute("data-state", text);
}

function handleMessage(message) {
  if (message.retry) state.streamRetry = message.retry;
  // Every id the server sends is kept as it came ("<generation>-<seq>", as EventSource keeps
  // it) and sent back on reconnecting: the stream's opening message says where it starts, a
  // reset where the new history starts, so a reset missed while disconnected is told, not lost.
  if (message.id !== null) state.lastEventId = message.id;
  if (message.event === "reset") {
    clear($("#feed"));
    refreshAll();
    return;
  }
  if (message.event === "evicted") {
    const gap = JSON.parse(message.data);
    showError(`${gap.evicted} events left the inbox (its capacity) before this page got them`);
    return;
  }
  if (message.event !== "live_event" || !message.data) return;
  try {
    addEvent(JSON.parse(message.data));
  } catch (error) {
    showError(`bad event: ${error.message}`);
  }
}

function parseBlock(block) {
  const message = { event: "message", data: "", id: null, retry: null };
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) message.retry = Number(value);
  }
  message.data = data.join("\n");
  return message;
}

async function streamOnce() {
  const headers = controlHeaders({ Accept: "text/event-stream" });
  if (state.lastEventId !== null) headers["Last-Event-ID"] = state.lastEventId;
  state.streamAbort = new AbortController();
  const response = await fetch("/_mockcanvas/live_events/stream", {
    headers,
    cache: "no-store",
    signal: state.streamAbort.signal,
  });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new Error(errorMessage(data, response.status));
  }
  setStatus("live");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      handleMessage(parseBlock(block));
    }
  }
}

async function streamForever() {
  for (;;) {
    try {
      await streamOnce(); // ends after the server's timeout: reconnect with Last-Event-ID
    } catch (error) {
      setStatus("offline");
      showError(`event stream: ${error.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, state.streamRetry));
  }
}

// -- controls ----------------------------------------------------------------------------------

async function loadClock() {
  const clock = await control("GET", "/clock");
  $("#clock-now").textContent = `${clock.now}${clock.frozen ? " (frozen)" : ""}`;
  $("#clock-freeze").textContent = clock.frozen ? "Unfreeze clock" : "Freeze clock";
  $("#clock-freeze").setAttribute("data-frozen", clock.frozen ? "true" : "false");
}

async function loadFaults() {
  const data = await control("GET", "/faults");
  const list = $("#faults-list");
  clear(list);
  for (const fault of data.faults) {
    const remove = el("button", { type: "button", className: "remove" }, "Remove");
    remove.addEventListener("click", () =>
      act(async () => {
        await control("DELETE", `/faults/${fault.id}`);
        await loadFaults();
      })
    );
    const what = fault.kind === "status" ? fault.status : fault.kind;
    list.append(
      el("li", { "data-fault-id": fault.id }, `${fault.method || "*"} ${fault.path || fault.regex || "*"} -> ${what} `, remove)
    );
  }
  if (!data.faults.length) list.append(el("li", { className: "muted" }, "no faults"));
}

async function loadSubscriptions() {
  const data = await control("GET", "/subscriptions");
  state.subscriptions = data.subscriptions;
  const list = $("#subscriptions");
  clear(list);
  for (const sub of data.subscriptions) {
    const counts = Object.entries(sub.counts)
      .filter(([, n]) => n)
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    const target = sub.url || sub.queue_url || sub.path || "";
    const remove = el("button", { type: "button", className: "remove" }, "Remove");
    remove.addEventListener("click", () =>
      act(async () => {
        await control("DELETE", `/subscriptions/${sub.id}`);
        await loadSubscriptions();
      })
    );
    list.append(
      el(
        "li",
        { "data-subscription-id": sub.id, "data-state": sub.state },
        el("strong", {}, sub.name),
        ` ${sub.kind} ${target} `,
        el("span", { className: "state" }, sub.state),
        " ",
        el("span", { className: "counts" }, counts || "nothing sent"),
        " ",
        remove
      )
    );
  }
  if (!data.subscriptions.length) list.append(el("li", { className: "muted" }, "no subscriptions"));
}

async function act(work) {
  showError("");
  try {
    await work();
  } catch (error) {
    showError(error.message);
  }
}

function refreshAll() {
  return act(async () => {
    await Promise.all([loadClock(), loadFaults(), loadSubscriptions()]);
    if (state.course) {
      const course = state.course;
      await selectCourse(course, true);
    }
  });
}

async function grade(event) {
  event.preventDefault();
  const result = $("#grade-result");
  result.removeAttribute("data-ok");
  if (!state.course) {
    result.textContent = "pick a course first";
    return;
  }
  const body = {
    course_id: state.course.id,
    assignment_id: Number($("#grade-assignment").value),
    user_id: Number($("#grade-student").value),
    posted_grade: $("#grade-value").value,
  };
  if ($("#grade-grader").value) body.grader_id = Number($("#grade-grader").value);
  try {
    const answer = await control("POST", "/grades", body);
    // Canvas stores a grade it cannot read as no grade at all: say so, or it looks like a grade.
    const cleared = answer?.submission?.grade === null && body.posted_grade.trim() !== "";
    result.textContent = cleared ? "cleared: Canvas reads no grade in that" : "graded";
    result.setAttribute("data-ok", "true");
  } catch (error) {
    result.textContent = error.message;
    result.setAttribute("data-ok", "false");
  }
}

function wire() {
  $("#courses-more").addEventListener("click", () => act(() => loadCourses(state.coursesNext)));
  $("#people-more").addEventListener("click", () =>
    act(() => loadCoursePage(state.course.id, state.peopleNext))
  );
  $("#audit-next").addEventListener("click", () => act(() => loadAudit(state.auditNext)));
  $("#audit-refresh").addEventListener("click", () => act(() => loadAudit(null)));
  $("#grade-form").addEventListener("submit", grade);
  for (const id of ["#filter-name", "#filter-course", "#filter-student"]) {
    $(id).addEventListener("input", applyFilters);
    $(id).addEventListener("change", applyFilters);
  }
  $("#reset").addEventListener("click", () =>
    act(async () => {
      await control("POST", "/reset");
      await refreshAll();
    })
  );
  $("#clock-freeze").addEventListener("click", () =>
    act(async () => {
      const frozen = $("#clock-freeze").getAttribute("data-frozen") === "true";
      await control("POST", "/clock", frozen ? { unfreeze: true } : { freeze: true });
      await loadClock();
    })
  );
  $("#clock-advance-submit").addEventListener("click", () =>
    act(async () => {
      const seconds = Number($("#clock-advance").value);
      if (!Number.isFinite(seconds)) throw new Error("advance: a number of seconds");
      await control("POST", "/clock", { advance: seconds });
      await loadClock();
    })
  );
  $("#faults-clear").addEventListener("click", () =>
    act(async () => {
      await control("DELETE", "/faults");
      await loadFaults();
    })
  );
  $("#fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      await control("POST", "/faults", {
        path: $("#fault-path").value,
        status: Number($("#fault-status").value),
      });
      await loadFaults();
    });
  });
  $("#subscription-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      await control("POST", "/subscriptions", { kind: "webhook", url: $("#subscription-url").value });
      await loadSubscriptions();
    });
  });
}

async function main() {
  takeToken();
  wire();
  await act(async () => {
    await Promise.all([loadClock(), loadFaults(), loadSubscriptions()]);
    await loadCourses(1);
  });
  setInterval(() => {
    loadClock().catch(() => {});
    if (state.subscriptions.length) loadSubscriptions().catch(() => {});
  }, 5000);
  streamForever();
}

document.addEventListener("DOMContentLoaded", main);
// Leaving or reloading: close the stream now, so its server slot comes free sooner.
window.addEventListener("pagehide", () => {
  if (state.streamAbort) state.streamAbort.abort();
});
