/* Starts the parents' page. Until the WebAssembly app arrives, the static look-up form of
   index.html stays usable: ?student= fills the student code, a submit is remembered (the app
   looks up as soon as it mounts) and a language choice is stored for the app to read. Other
   addresses show a loading line instead of the form. Plain ES5 apart from import() and Promise. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var form = document.getElementById("lookup-form");
  var status = document.getElementById("boot-status");
  var student = document.getElementById("student-code");
  var language = app && app.querySelector(".site__lang");
  var path = location.pathname.replace(/\/+$/, "");

  function say(text, lang) {
    if (!status) return;
    status.textContent = text;
    if (lang) status.setAttribute("lang", lang);
  }

  if (path !== "" && path !== "/index.html" && app) app.className += " app--elsewhere";

  var given = /[?&]student=([A-Za-z0-9+%-]{1,48})(?:&|$)/.exec(location.search);
  if (given && student && !student.value) {
    try {
      var code = decodeURIComponent(given[1].replace(/\+/g, " ")).replace(/[\s-]/g, "");
      if (/^[A-Za-z0-9]{4,20}$/.test(code)) student.value = code.toUpperCase();
    } catch (ignored) { /* a malformed escape: leave the field empty */ }
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.setAttribute("data-submitted", "");
      say("Đang tải trang, sẽ tra cứu ngay khi tải xong…");
    });
  }

  if (language) {
    language.addEventListener("click", function () {
      try { localStorage.setItem("hocphi.lang", "en"); } catch (ignored) { /* storage off */ }
      say("The page will switch to English as soon as it has loaded.", "en");
    });
  }

  function failed(text) {
    if (app) app.className = app.className.replace(" app--elsewhere", "");
    say(text);
    if (status) status.className += " notice notice--error";
  }

  if (typeof WebAssembly !== "object") {
    failed("Trình duyệt này quá cũ để tra cứu và thanh toán. Hãy cập nhật trình duyệt, hoặc mở trang bằng Chrome, Safari, Firefox hay Cốc Cốc.");
    return;
  }
  /* The app is fetched once the static screen has been painted: on a slow connection it then
     does not compete with the stylesheet, and it never replaces a screen not yet shown. */
  var shown = new Promise(function (resolve) {
    var types = window.PerformanceObserver && PerformanceObserver.supportedEntryTypes;
    if (!types || types.indexOf("paint") < 0) return resolve();
    new PerformanceObserver(function (list, observer) {
      observer.disconnect();
      resolve();
    }).observe({ type: "paint", buffered: true });
    setTimeout(resolve, 3000);
  });
  shown
    .then(function () { return import("/hocphi.js"); })
    .then(function (glue) { return glue.default({ module_or_path: "/hocphi_bg.wasm" }); })
    .catch(function () {
      failed("Không tải được trang. Hãy kiểm tra kết nối mạng rồi tải lại trang.");
    });
})();
