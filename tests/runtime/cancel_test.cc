#include "runtime/cancel.h"

#include <vector>

#include "gtest/gtest.h"

namespace ferry {
namespace {

struct Recorder : CancelCallback {
  explicit Recorder(std::vector<int>* log, int id)
      : CancelCallback(&Recorder::fire), log(log), id(id) {}
  static void fire(CancelCallback* cb) noexcept {
    auto* self = static_cast<Recorder*>(cb);
    self->log->push_back(self->id);
  }
  std::vector<int>* log;
  int id;
};

TEST(CancelSourceTest, RunsCallbacksOnceInRegistrationOrder) {
  std::vector<int> log;
  CancelSource source;
  Recorder a(&log, 1), b(&log, 2), c(&log, 3);
  a.register_with(&source);
  b.register_with(&source);
  c.register_with(&source);
  b.unregister();
  source.cancel();
  source.cancel();
  EXPECT_EQ(log, (std::vector<int>{1, 3}));
  EXPECT_FALSE(a.registered());
}

TEST(CancelSourceTest, RegisteringOnACancelledSourceFiresImmediately) {
  std::vector<int> log;
  CancelSource source;
  source.cancel();
  Recorder a(&log, 7);
  a.register_with(&source);
  EXPECT_EQ(log, (std::vector<int>{7}));
  EXPECT_FALSE(a.registered());
}

TEST(CancelSourceTest, ChildSourcesFollowTheirParent) {
  std::vector<int> log;
  CancelSource parent;
  CancelSource child(&parent);
  CancelSource grandchild(&child);
  Recorder a(&log, 1);
  a.register_with(&grandchild);
  parent.cancel();
  EXPECT_TRUE(child.cancelled());
  EXPECT_TRUE(grandchild.cancelled());
  EXPECT_EQ(log, (std::vector<int>{1}));
}

TEST(CancelSourceTest, CancellingAChildLeavesTheParentAlone) {
  CancelSource parent;
  CancelSource child(&parent);
  child.cancel();
  EXPECT_FALSE(parent.cancelled());
}

TEST(CancelSourceTest, DestroyingAChildUnlinksItFromTheParent) {
  CancelSource parent;
  { CancelSource child(&parent); }
  parent.cancel();  // must not touch the destroyed child (ASan checks)
  EXPECT_TRUE(parent.cancelled());
}

TEST(CancelSourceTest, DestroyedCallbacksAreNeverRun) {
  std::vector<int> log;
  CancelSource source;
  {
    Recorder a(&log, 1);
    a.register_with(&source);
  }
  source.cancel();
  EXPECT_TRUE(log.empty());
}

}  // namespace
}  // namespace ferry
