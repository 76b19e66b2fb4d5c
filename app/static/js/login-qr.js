// QR log-in: fetch a ticket, show the code, poll until scanned and confirmed.
// Served from /static: the pages' CSP allows no inline script.
(function () {
  var form = document.getElementById("qr-form"), box = document.getElementById("qr");
  var img = box.querySelector("img"), text = document.getElementById("qr-state"), timer = null;
  var token = document.querySelector("meta[name=csrf-token]").content;
  var labels = {pending: "请使用微信扫描二维码", scanned: "已扫码，请在手机上确认登录",
                expired: "二维码已过期，请点击“获取二维码”刷新"};
  function poll(url) {
    fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (res) {
      return res.json();
    }).then(function (body) {
      text.textContent = labels[body.state] || "正在登录…";
      if (body.state === "confirmed") {  // back to the page that sent the person to log in
        var next = form.getAttribute("data-next");
        window.location.href = body.redirect + (next ? "?next=" + encodeURIComponent(next) : "");
        return;
      }
      if (body.state === "expired") { img.style.opacity = 0.2; return; }
      timer = setTimeout(function () { poll(url); }, 2000);
    }).catch(function () { timer = setTimeout(function () { poll(url); }, 4000); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    fetch(form.action, {method: "POST", credentials: "same-origin",
                        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                        body: JSON.stringify({via: document.getElementById("via").value})})
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (!body.ticket) { text.textContent = (body.error && body.error.message) || "获取二维码失败"; box.hidden = false; return; }
        img.src = body.qr_png; img.style.opacity = 1; box.hidden = false;
        text.textContent = labels.pending;
        poll(body.poll_url);
      });
  });
  form.dispatchEvent(new Event("submit"));
})();
