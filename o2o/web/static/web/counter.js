// The store counter: the QR scanner on "Verify pickup", printing the receipt, and one tap per payment.
(function () {
  "use strict";

  function setUpScanner(box) {
    var video = box.querySelector("video");
    var message = box.querySelector("[data-scan-message]");
    var start = box.querySelector("[data-scan-start]");
    var stop = box.querySelector("[data-scan-stop]");
    var scanner = null;

    function say(text) { message.textContent = text || ""; }

    function close() {
      if (scanner) { scanner.stop(); scanner.destroy(); scanner = null; }
      video.hidden = true; stop.hidden = true; start.hidden = false;
    }

    function found(result) {
      close();
      say("");
      var input = document.getElementById(box.dataset.input);
      var form = document.getElementById(box.dataset.form);
      if (!input || !form) { return; }
      input.value = result.data || result;
      form.requestSubmit();
    }

    start.addEventListener("click", function () {
      if (!window.isSecureContext || !navigator.mediaDevices) { say(box.dataset.msgInsecure); return; }
      if (typeof QrScanner === "undefined") { say(box.dataset.msgFailed); return; }
      QrScanner.hasCamera().then(function (has) {
        if (!has) { say(box.dataset.msgNoCamera); return; }
        video.hidden = false;
        scanner = new QrScanner(video, found, {
          returnDetailedScanResult: true, preferredCamera: "environment", highlightScanRegion: true,
        });
        return scanner.start().then(function () {
          start.hidden = true; stop.hidden = false; say(box.dataset.msgScanning);
        });
      }).catch(function () { close(); say(box.dataset.msgFailed); });
    });
    stop.addEventListener("click", function () { close(); say(""); });
    // Leaving the page or hiding the tab turns the camera off.
    window.addEventListener("pagehide", close);
    document.addEventListener("visibilitychange", function () { if (document.hidden) { close(); } });
  }

  function init() {
    document.querySelectorAll("[data-scanner]").forEach(setUpScanner);
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });

  // Cash given: show the change as the clerk types (the receipt shows the figure the server noted).
  document.addEventListener("input", function (event) {
    var field = event.target;
    var output = field.id && document.querySelector('output[for="' + field.id + '"][data-change-for]');
    if (!output) { return; }
    var change = Number(field.value) - Number(output.dataset.changeFor);
    output.textContent = field.value && change >= 0 ? output.dataset.label + " ¥" + change.toFixed(2) : "";
  });

  // A second tap while a payment is under way does nothing (the server would not sell twice anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-once]")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
