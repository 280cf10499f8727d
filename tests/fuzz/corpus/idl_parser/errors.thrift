struct S {
  1: i32 a
  1: i32 a
}
const byte B = 300
service V extends S {}
