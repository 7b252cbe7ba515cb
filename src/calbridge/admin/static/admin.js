// The panel's only script (its Content-Security-Policy allows no inline script or handler).
// Everything works without it, except that destructive forms then submit without asking.

// A form with data-confirm asks before it is sent.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The copy button next to a newly created token or secret.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand("copy");
  }
  button.textContent = "Copied";
});

// The calendar view: each block carries its place in minutes of the day (data-top, data-height)
// and its lane; put it there. Without this script the blocks are a plain list per day.
for (const grid of document.querySelectorAll(".calgrid")) {
  for (const block of grid.querySelectorAll(".block[data-top]")) {
    const { top, height, lane, lanes } = block.dataset;
    block.style.top = `${(top / 1440) * 100}%`;
    block.style.height = `${(height / 1440) * 100}%`;
    block.style.left = `${(lane / lanes) * 100}%`;
    block.style.width = `${100 / lanes}%`;
  }
  grid.classList.add("placed");
}

// A form sent back with errors: each message is tied to its field (aria-invalid, and
// aria-describedby naming the message), and the first field in error on the page gets the
// focus, so a keyboard or screen reader user lands on what to fix. Templates (the rule and
// availability editors) may mark their fields themselves; those count too.
document.addEventListener("DOMContentLoaded", () => {
  for (const message of document.querySelectorAll(".field-error[data-field]")) {
    const form = message.closest("form") || document;
    const name = message.dataset.field;
    const field = form.querySelector(`[name="${CSS.escape(name)}"]`) || document.getElementById(name);
    if (!field) continue;
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(message.id)) described.push(message.id);
    field.setAttribute("aria-describedby", described.join(" "));
  }
  document.querySelector("form [aria-invalid=true]")?.focus();
});
