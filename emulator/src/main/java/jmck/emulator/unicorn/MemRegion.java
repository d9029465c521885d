package jmck.emulator.unicorn;

/** One mapped region of an engine's address space, as uc_mem_regions reports it (end inclusive). */
public record MemRegion(long begin, long end, int perms) {}
