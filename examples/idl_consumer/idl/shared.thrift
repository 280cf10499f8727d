namespace cpp example.shared

enum Mood {
  HAPPY = 1,
  GRUMPY = 2,
}

struct Person {
  1: required string name,
  2: optional i32 age,
  3: Mood mood = Mood.HAPPY,
}
