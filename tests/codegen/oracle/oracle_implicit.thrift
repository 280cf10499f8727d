// Implicit field ids and the `,`-free forms Apache also accepts.
struct Implicit {
  string first
  i32 second;
  5: i32 explicit_one
  double third
}

service ImplicitArgs {
  void call(string a, i32 b)
}
