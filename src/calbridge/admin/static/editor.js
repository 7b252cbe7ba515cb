// Row editors of the calendar form (availability) and the rule form (conditions, actions).
// Each button is also a submit button named "edit": without this script the server makes the
// same change and sends the form back unsaved (admin/availability_form.py, admin/rule_form.py).

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"];

// A <template>'s markup with __name__-style holes filled, as nodes.
function fill(templateId, holes) {
  let html = document.getElementById(templateId).innerHTML;
  for (const [hole, value] of Object.entries(holes)) html = html.replaceAll(hole, value);
  const made = document.createElement("template");
  made.innerHTML = html;
  return made.content;
}

function addHours(rows, name, label, start = "", end = "") {
  const row = fill("hours-row-template", { __name__: name, __label__: label }).firstElementChild;
  row.querySelector(`[name="${name}-start"]`).value = start;
  row.querySelector(`[name="${name}-end"]`).value = end;
  rows.append(row);
  return row;
}

function showDay(day) {
  const open = day.querySelector("[data-day-switch]").checked;
  day.querySelector("[data-day-hours]").hidden = !open;
  day.querySelector("[data-closed-note]").hidden = open;
}

function showEditor() {
  const editor = document.querySelector("[data-editor]");
  const hours = document.querySelector('input[name="availability"][value="hours"]');
  if (editor && hours) editor.hidden = !hours.checked;
}

// Numbered holes (rule conditions and actions): the next free number of a list.
function nextNumber(list) {
  const next = Number(list.dataset.next || 0);
  list.dataset.next = String(next + 1);
  return String(next);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[name=edit]");
  if (!button) return;
  if (button.matches("[data-remove-row]")) {
    const row = button.closest("[data-row]");
    const focusAfter = row.parentElement.closest("fieldset, form");
    row.remove();
    focusAfter?.querySelector("input, select, button")?.focus();
  } else if (button.matches("[data-add-row]")) {
    const rows = button.closest("fieldset").querySelector("[data-rows]");
    addHours(rows, button.dataset.addRow, button.dataset.label).querySelector("input").focus();
  } else if (button.matches("[data-copy-day]")) {
    const source = document.getElementById(`day-${button.dataset.copyDay}`);
    const open = source.querySelector("[data-day-switch]").checked;
    const pairs = [...source.querySelectorAll("[data-row]")].map((row) =>
      [...row.querySelectorAll("input")].map((input) => input.value));
    for (const name of WEEKDAYS) {
      const day = document.getElementById(`day-${name}`);
      if (day === source) continue;
      day.querySelector("[data-day-switch]").checked = open;
      const rows = day.querySelector("[data-rows]");
      rows.replaceChildren();
      const label = name[0].toUpperCase() + name.slice(1);
      for (const [start, end] of pairs) addHours(rows, name, label, start, end);
      showDay(day);
    }
    button.textContent = "Copied to all weekdays";
  } else if (button.matches("[data-add-exception]")) {
    const list = document.querySelector("[data-exceptions]");
    const item = fill("exception-template", { __k__: nextNumber(list) }).firstElementChild;
    list.append(item);
    item.querySelector("input").focus();
  } else if (button.dataset.addFrom) {
    // Rule form: a new condition or action of the type chosen in the select next to it.
    const kind = document.getElementById(button.dataset.addFrom).value;
    const list = document.getElementById(button.dataset.into);
    const item = fill(`${button.dataset.into}-${kind}`, { __i__: nextNumber(list) })
      .firstElementChild;
    list.append(item);
    item.querySelector("input, select, textarea")?.focus();
  } else {
    return; // left to the server
  }
  event.preventDefault();
});

document.addEventListener("change", (event) => {
  const input = event.target;
  if (input.matches("[data-day-switch]")) {
    const day = input.closest("fieldset");
    const rows = day.querySelector("[data-rows]");
    if (input.checked && !rows.children.length) {
      const name = day.id.replace("day-", "");
      addHours(rows, name, name[0].toUpperCase() + name.slice(1));
    }
    showDay(day);
  } else if (input.matches('input[name="availability"]')) {
    showEditor();
  } else if (input.type === "date") {
    const echo = input.parentElement.querySelector("[data-iso-date]");
    if (echo) echo.textContent = input.value; // ISO, whatever the field shows
  }
});

showEditor();
document.querySelectorAll("fieldset.day").forEach(showDay);
