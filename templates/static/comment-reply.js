// Progressive enhancement for "Reply" links: move the comment form under the
// comment being answered instead of reloading the page. Without this script
// the links (?replytocom=ID#respond) work as plain links.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  if (!respond) { return; }
  var form = respond.querySelector("form");
  var parentField = form && form.querySelector("input[name=parent]");
  var title = document.getElementById("reply-title");
  var cancel = document.getElementById("cancel-comment-reply-link");
  if (!form || !parentField || !title || !cancel) { return; }
  var home = document.createElement("div");
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);
  var originalTitle = title.firstChild ? title.firstChild.textContent : "Leave a Reply";

  function replyTo(link) {
    var commentId = link.getAttribute("data-commentid");
    var author = link.getAttribute("data-replyto") || "";
    var article = document.getElementById("div-comment-" + commentId);
    if (!article) { return false; }
    article.parentNode.insertBefore(respond, article.nextSibling);
    parentField.value = commentId;
    title.firstChild.textContent = author ? "Leave a Reply to \u2068" + author + "\u2069 " : originalTitle;
    cancel.hidden = false;
    var textarea = form.querySelector("textarea");
    if (textarea) { textarea.focus(); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".comment-reply-link") : null;
    if (link && replyTo(link)) { event.preventDefault(); }
  });
  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    home.parentNode.insertBefore(respond, home);
    parentField.value = "";
    title.firstChild.textContent = originalTitle;
    cancel.hidden = true;
  });
})();
