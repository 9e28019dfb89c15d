/* Starts the parents' page. Inlined into <head> by build.sh, so it names the route on <html> (at-lookup,
   at-result, at-receipt, at-elsewhere) before the first paint, and the stylesheet shows that
   route's static screen from index.html until the WebAssembly app arrives. On the look-up form,
   ?student= fills the student code, a submit is remembered (the app looks up as soon as it
   mounts) and a language choice is stored for the app to read; the result screen shows the
   payment reference from the address. Unknown addresses show a loading line. Plain ES5 apart
   from import(), fetch and Promise. */
(function () {
  "use strict";
  var root = document.documentElement;
  var path = location.pathname.replace(/\/+$/, "");
  var route = path === "" || path === "/index.html" ? "lookup"
    : path === "/ket-qua" ? "result"
    : /^\/bien-lai\/[^/]+$/.test(path) ? "receipt" : "elsewhere";
  root.className += " at-" + route;

  /* The first value of one of `names` in the query string, percent-decoded. */
  function query(names) {
    var pairs = location.search.replace(/^\?/, "").split("&");
    for (var n = 0; n < names.length; n++) {
      for (var i = 0; i < pairs.length; i++) {
        var pair = pairs[i].split("=");
        if (pair[0] !== names[n] || pair.length < 2) continue;
        try { return decodeURIComponent(pair[1].replace(/\+/g, " ")); } catch (ignored) { return ""; }
      }
    }
    return "";
  }

  /* The address index.html gives for one of the app's files. */
  function named(name) {
    var meta = document.querySelector('meta[name="' + name + '"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function start() {
    var app = document.getElementById("app");
    var form = document.getElementById("lookup-form");
    var status = document.getElementById("boot-status");
    var student = document.getElementById("student-code");
    var language = app && app.querySelector(".site__lang");

    function say(text, lang) {
      if (!status) return;
      status.textContent = text;
      if (lang) status.setAttribute("lang", lang);
    }

    var given = query(["student"]).replace(/[\s-]/g, "");
    if (student && !student.value && /^[A-Za-z0-9]{4,20}$/.test(given)) student.value = given.toUpperCase();

    /* The parameters route.rs reads a payment reference from (the gateways' returns, then ours). */
    var reference = query(["vnp_TxnRef", "orderId", "MaThamChieu", "ref"]);
    var row = document.getElementById("boot-reference");
    if (row && /^[A-Za-z0-9]{1,32}$/.test(reference)) {
      row.querySelector(".reference").textContent = reference;
      row.removeAttribute("hidden");
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
      root.className = root.className.replace(" at-elsewhere", " at-lookup");
      say(text);
      if (status) status.className += " notice notice--error";
    }

    if (typeof WebAssembly !== "object") {
      failed("Trình duyệt này quá cũ để tra cứu và thanh toán. Hãy cập nhật trình duyệt, hoặc mở trang bằng Chrome, Safari, Firefox hay Cốc Cốc.");
      return;
    }
    /* The app's two files are named in index.html (so this script, admitted by its hash, never
       changes with them) and fetched together once the static screen has been painted: the
       paint needs nothing but the HTML, and the app never replaces a screen not yet seen. */
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
      .then(function () {
        /* The receipt's document has a stylesheet of its own, wanted on this address alone. */
        if (route === "receipt") {
          var sheet = document.createElement("link");
          sheet.rel = "stylesheet";
          sheet.href = named("hocphi-receipt-css");
          document.head.appendChild(sheet);
        }
        /* The split modules this address's screen needs at once (index.html names them per
           route), fetched beside the app rather than after it; the app takes each once. */
        var early = window.hocphiEarly = {};
        named("hocphi-at-" + (route === "lookup" && query(["ma"]) ? "payment-code" : route))
          .split(" ").forEach(function (url) {
            if (!url) return;
            early[url] = fetch(url);
            early[url].catch(function () { /* fetched again by the app */ });
          });
        var wasm = fetch(named("hocphi-wasm"));
        wasm.catch(function () { /* answered by the app's start below */ });
        return import(named("hocphi-glue")).then(function (glue) {
          return glue.default({ module_or_path: wasm });
        });
      })
      .catch(function () {
        failed("Không tải được trang. Hãy kiểm tra kết nối mạng rồi tải lại trang.");
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
