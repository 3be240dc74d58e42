/* The dataset form's offers block: shown only when the access tier is priced or on
 * request. Hidden offers are disabled, so that an open dataset never submits them. */
this.ckan.module('pricing-offers', function ($) {
  return {
    initialize: function () {
      this.group = this.el.closest('.form-group');
      this.tier = $('#field-access_tier');
      if (!this.tier.length) { return; }
      this.tier.on('change', this._toggle.bind(this));
      this._toggle();
    },
    _toggle: function () {
      var open = this.tier.val() === 'open';
      this.group.toggle(!open);
      this.el.find('.scheming-repeating-subfields-group :input').prop('disabled', open);
    }
  };
});
