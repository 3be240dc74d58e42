/* The dataset search box's suggestions: titles of datasets whose title or tags begin
 * with the words typed so far (the action cityexchange_autocomplete), offered in the
 * browser's own list for the input (a <datalist>, keyboard and screen-reader friendly). */
this.ckan.module('cityexchange-autocomplete', function ($) {
  return {
    options: { url: '', minLength: 2, delay: 200 },
    initialize: function () {
      this.input = this.el.find('input[name="q"]').first();
      if (!this.input.length || !this.options.url) { return; }
      this.list = $('<datalist></datalist>').attr('id', 'cityexchange-autocomplete-list');
      this.el.append(this.list);
      this.input.attr('list', this.list.attr('id'));
      this.timer = null;
      this.asked = '';
      this.input.on('input', this._typed.bind(this));
    },
    _typed: function () {
      clearTimeout(this.timer);
      this.timer = setTimeout(this._ask.bind(this), this.options.delay);
    },
    _ask: function () {
      var text = $.trim(this.input.val());
      if (text.length < this.options.minLength || text === this.asked) { return; }
      this.asked = text;
      $.getJSON(this.options.url, { q: text, limit: 8 })
        .done(this._fill.bind(this, text));
    },
    _fill: function (text, answer) {
      if (text !== this.asked || !answer || !answer.success) { return; }
      var list = this.list.empty();
      $.each(answer.result, function (_, found) {
        list.append($('<option></option>').attr('value', found.title));
      });
    }
  };
});
