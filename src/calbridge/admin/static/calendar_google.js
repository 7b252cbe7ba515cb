// The calendar form's Google picker: only the chosen account's calendars can be picked.
(() => {
  const account = document.getElementById("google_account_id");
  const picker = document.getElementById("google_calendar_id");
  if (!account || !picker) return;
  const show = () => {
    for (const group of picker.querySelectorAll("optgroup")) {
      const mine = group.dataset.account === account.value;
      group.hidden = !mine;
      group.disabled = !mine;
    }
    const chosen = picker.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) picker.value = "";
  };
  account.addEventListener("change", show);
  show();
})();
