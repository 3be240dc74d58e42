/* The dataset search box's suggestions: datasets whose title or tags begin with the
 * words typed so far (the action cityexchange_autocomplete), listed under the box as
 * links to the datasets, in a polite live region. The box stays a plain text box (no
 * combobox semantics to learn), and typing on and pressing Enter searches as before. */
this.ckan.module('cityexchange-autocomplete', function ($) {
  return {
    options: { url: '', link: '', label: '', minLength: 2, delay: 200 },
    initialize: function () {
      this.input = this.el.find('input[name="q"]').first();
      if (!this.input.length || !this.options.url || !this.options.link) { return; }
      this.list = $('<ul class="list-unstyled mb-0"></ul>');
      this.region = $('<nav class="cityexchange-suggestions" aria-live="polite" hidden></nav>')
        .attr('aria-label', this.options.label)
        .append(this.list);
      this.el.append(this.region);
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
      if (text === this.asked) { return; }
      this.asked = text;
      if (text.length < this.options.minLength) { this._fill(text, { success: true, result: [] }); return; }
      $.getJSON(this.options.url, { q: text, limit: 8 }).done(this._fill.bind(this, text));
    },
    _fill: function (text, answer) {
      if (text !== this.asked || !answer || !answer.success) { return; }
      var list = this.list.empty();
      var link = this.options.link;
      $.each(answer.result, function (_, found) {
        var href = link.replace('__name__', encodeURIComponent(found.name));
        list.append($('<li></li>').append($('<a></a>').attr('href', href).text(found.title)));
      });
      this.region.prop('hidden', answer.result.length === 0);
    }
  };
});
