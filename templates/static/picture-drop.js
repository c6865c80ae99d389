// The post editor's "Add a picture", for a pointer: drop a picture anywhere
// on the editor and it is uploaded and inserted as the button does. Without
// this script the file field and the button do the same.
(function () {
  var form = document.querySelector('form.editor[enctype="multipart/form-data"]');
  var input = form && form.querySelector('#media');
  var button = form && form.querySelector('button[value="upload"]');
  if (!input || !button || !window.DataTransfer) { return; }
  var over = function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') >= 0) {
      event.preventDefault();
      form.classList.add('dropping');
    }
  };
  form.addEventListener('dragover', over);
  form.addEventListener('dragenter', over);
  form.addEventListener('dragleave', function () { form.classList.remove('dropping'); });
  form.addEventListener('drop', function (event) {
    form.classList.remove('dropping');
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length === 0) { return; }
    event.preventDefault();
    var chosen = new DataTransfer();
    chosen.items.add(files[0]);
    input.files = chosen.files;
    button.click();
  });
})();
