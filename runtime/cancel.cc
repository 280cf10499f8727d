#include "runtime/cancel.h"

namespace ferry {

CancelSource::~CancelSource() {
  while (head_ != nullptr) head_->unregister();
}

void CancelSource::chain_to(CancelSource* parent) noexcept {
  parent_link_.register_with(parent);
}

void CancelSource::on_parent_cancel(CancelCallback* link) noexcept {
  // `link` is the parent_link_ member of the child source.
  auto* self = reinterpret_cast<CancelSource*>(
      reinterpret_cast<char*>(link) - offsetof(CancelSource, parent_link_));
  self->cancel();
}

void CancelSource::cancel() noexcept {
  if (cancelled_) return;
  cancelled_ = true;
  // Pop one at a time: a callback may unregister others or register new
  // ones (which then run immediately, as the source is already cancelled).
  while (head_ != nullptr) {
    CancelCallback* cb = head_;
    cb->unregister();
    cb->fn_(cb);
  }
}

}  // namespace ferry
