// The preparation queue's alert (docs/preparation.md): the nav badge (#queue-badge) is polled by
// htmx every 10 s; when the number of orders waiting rises, beep once (Web Audio, no file).
(function () {
  "use strict";
  var last = null;
  var audio = null;

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.6);
  }

  function check() {
    var badge = document.getElementById("queue-badge");
    if (!badge || !badge.hasAttribute("data-count")) return;
    var count = parseInt(badge.getAttribute("data-count"), 10) || 0;
    if (last !== null && count > last) {
      beep();
      document.body.setAttribute("data-queue-alert", String(count));
    }
    last = count;
  }

  // browsers start audio only after a gesture: the first tap unlocks it
  document.addEventListener("click", function () {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
  }, { once: true });
  document.addEventListener("htmx:afterSettle", check);
  document.addEventListener("DOMContentLoaded", check);
})();
