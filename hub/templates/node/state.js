'use strict';
// The decisions of {{name}}, kept apart from the client so they can be tested alone.
class ModuleState {
  constructor() {
    this.enabled = true;
    this.forwarded = 0;
  }

  shouldForward() {
    return this.enabled;
  }

  countForwarded() {
    this.forwarded += 1;
  }

  // Takes `Enabled` from desired properties (or a patch); returns the reported patch, or
  // null when they do not set it.
  applyDesired(desired) {
    const value = desired ? desired.Enabled : undefined;
    if (typeof value !== 'boolean') return null;
    this.enabled = value;
    return { Enabled: value };
  }

  status() {
    return { enabled: this.enabled, forwarded: this.forwarded };
  }
}

module.exports = { ModuleState };
