#pragma once

// Type erasure, only where the user asks for it: `BoxService<Req, Resp>`
// holds any Service of that shape behind a hand-rolled vtable (one indirect
// call per `call`, one allocation per box, none per call);
// `BoxCloneService<Req, Resp>` can also be copied (it clones the service).
//
//   BoxService<Req, Resp> svc = BoxService<Req, Resp>(
//       ServiceBuilder().layer(TimeoutLayer(1s)).service(Handler()));
//   // plugins, stacks chosen from configuration, heterogeneous containers
//
// Use the concrete composed type everywhere else: it inlines.

#include <memory>
#include <type_traits>
#include <utility>

#include "middleware/service.h"

namespace ferry {

namespace internal {
template <class Req, class Resp>
struct BoxVtable {
  Task<Result<Resp>> (*call)(void* self, Context& cx, Req req);
  void (*destroy)(void* self) noexcept;
  void* (*clone)(const void* self);  // null when not cloneable
};

template <class S>
void* clone_service(const void* self) {
  return new S(*static_cast<const S*>(self));
}

template <class S, bool kCloneable>
constexpr void* (*clone_fn())(const void*) {
  if constexpr (kCloneable) {
    return &clone_service<S>;
  } else {
    return nullptr;
  }
}

template <class S, class Req, class Resp, bool kCloneable>
inline constexpr BoxVtable<Req, Resp> kBoxVtable = {
    [](void* self, Context& cx, Req req) -> Task<Result<Resp>> {
      return static_cast<S*>(self)->call(cx, std::move(req));
    },
    [](void* self) noexcept { delete static_cast<S*>(self); },
    clone_fn<S, kCloneable>(),
};
}  // namespace internal

template <class Req, class Resp>
class BoxService {
 public:
  using Response = Resp;

  template <class S>
  requires(!std::is_same_v<std::decay_t<S>, BoxService> &&
           Service<std::decay_t<S>, Req> &&
           std::is_same_v<typename std::decay_t<S>::Response,
                          Resp>) explicit BoxService(S s)
      : self_(new std::decay_t<S>(std::move(s))),
        vtable_(&internal::kBoxVtable<std::decay_t<S>, Req, Resp,
                                      std::is_copy_constructible_v<S>>) {}

  BoxService(BoxService&& o) noexcept
      : self_(std::exchange(o.self_, nullptr)), vtable_(o.vtable_) {}
  BoxService& operator=(BoxService&& o) noexcept {
    if (this != &o) {
      reset();
      self_ = std::exchange(o.self_, nullptr);
      vtable_ = o.vtable_;
    }
    return *this;
  }
  ~BoxService() { reset(); }

  Task<Result<Resp>> call(Context& cx, Req req) {
    return vtable_->call(self_, cx, std::move(req));
  }

 protected:
  BoxService(void* self, const internal::BoxVtable<Req, Resp>* vt)
      : self_(self), vtable_(vt) {}
  void reset() noexcept {
    if (self_ != nullptr) vtable_->destroy(std::exchange(self_, nullptr));
  }
  void* self_;
  const internal::BoxVtable<Req, Resp>* vtable_;
};

// A BoxService that can be copied: each copy owns a clone of the service.
// Only copy-constructible services fit.
template <class Req, class Resp>
class BoxCloneService : public BoxService<Req, Resp> {
 public:
  template <class S>
  requires(!std::is_same_v<std::decay_t<S>, BoxCloneService> &&
           std::is_copy_constructible_v<
               std::decay_t<S>>) explicit BoxCloneService(S s)
      : BoxService<Req, Resp>(std::move(s)) {}

  BoxCloneService(const BoxCloneService& o)
      : BoxService<Req, Resp>(o.vtable_->clone(o.self_), o.vtable_) {}
  BoxCloneService& operator=(const BoxCloneService& o) {
    if (this != &o) *this = BoxCloneService(o);
    return *this;
  }
  BoxCloneService(BoxCloneService&&) noexcept = default;
  BoxCloneService& operator=(BoxCloneService&&) noexcept = default;
};

}  // namespace ferry
