typedef list<map<string, set<other.Thing>>> Nested
enum E { A, B = 0x10; C }
union U { 1: string s; 2: i64 n }
struct S {
  1: required i32 a = 1 (k = "v")
  2: optional Nested n
  3: E e = E.C
  4: S & self
  string implicit
}
