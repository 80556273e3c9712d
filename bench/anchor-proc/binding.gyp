{
  "targets": [
    {
      "target_name": "anchor_proc",
      "sources": ["anchor.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
