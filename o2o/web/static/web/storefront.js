// Storefront behaviour: "use my location", auto-submitting selects, payment countdowns,
// confirmations and one-click submits. No third-party code.
(() => {
  "use strict";

  // A [data-geolocate] button reloads the page with ?lat=&lng= from the browser (a district choice gives way).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-geolocate]");
    if (!button) return;
    const fail = () => { button.disabled = false; window.alert(button.dataset.unavailable); };
    if (!navigator.geolocation) { fail(); return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition((position) => {
      const url = new URL(window.location.href);
      url.searchParams.delete("district");
      url.searchParams.set("lat", position.coords.latitude.toFixed(6));
      url.searchParams.set("lng", position.coords.longitude.toFixed(6));
      window.location.assign(url);
    }, fail, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

  // Quantity steppers in lists: − and + change the field beside them, within its min and max.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    const field = button.parentElement.querySelector("input[type=number]");
    const next = (Number(field.value) || 0) + Number(button.dataset.step);
    field.value = String(Math.min(Number(field.max) || 999, Math.max(Number(field.min) || 1, next)));
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    if (!form.querySelector("[data-once]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // Disabled after the browser has collected the form data, so the clicked button's value is sent.
    setTimeout(() => form.querySelectorAll("[data-once]").forEach((b) => { b.disabled = true; }), 0);
  });

  // [data-seconds]: a countdown to the payment deadline (counted by the server, so the phone's clock does not matter).
  const pad = (n) => String(n).padStart(2, "0");
  const tick = () => {
    const now = Date.now();
    document.querySelectorAll("[data-seconds]").forEach((el) => {
      if (!el.dataset.end) el.dataset.end = String(now + Number(el.dataset.seconds) * 1000);
      const left = Math.max(0, Math.round((Number(el.dataset.end) - now) / 1000));
      el.textContent = `${pad(Math.floor(left / 60))}:${pad(left % 60)}`;
      if (left === 0 && Number(el.dataset.seconds) > 0 && !el.dataset.reloading) {
        el.dataset.reloading = "1";
        setTimeout(() => window.location.reload(), 2000); // the server then says the order expired
      }
    });
  };
  document.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 1000); });
})();
