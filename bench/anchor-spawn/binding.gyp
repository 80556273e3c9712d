{
  "targets": [
    {
      "target_name": "anchor_spawn",
      "sources": ["anchor_spawn.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
