/*
 * jmck_uc_jni.c - the JNI entry points of jmck's Unicorn binding: libunicorn's calls for
 * jmck.emulator.unicorn.UnicornNative, and jmck_uc.c's for HookNative, with the upcall from a core's hooks
 * into NativeCore. Bound through JNI rather than JNA, so that an engine can be opened (and the page-fault
 * self-test run) without JNA's start-up: its class initialisation and the registration of each bound
 * class took tens of milliseconds of every start, which boot waited for (docs/performance.md, Start-up).
 * Each function is a thin wrapper: arrays are copied in and out, handles are native pointers as jlong.
 */
#include <jni.h>
#include <stdlib.h>
#include <string.h>
#include "jmck_uc.h"

#define UNICORN(name) Java_jmck_emulator_unicorn_UnicornNative_##name
#define HOOKS(name) Java_jmck_emulator_unicorn_HookNative_##name
#define PTR(x) ((void *)(intptr_t)(x))

/* The largest register value a call passes (uc_x86_mmr: 3 words; YMM: 4), in longs. */
#define REG_WORDS 8

/* ---- libunicorn (UnicornNative) ---- */

JNIEXPORT jint JNICALL UNICORN(uc_1version)(JNIEnv *env, jclass cls)
{
	return (jint)uc_version(NULL, NULL);
}

JNIEXPORT jstring JNICALL UNICORN(uc_1strerror)(JNIEnv *env, jclass cls, jint code)
{
	return (*env)->NewStringUTF(env, uc_strerror((uc_err)code));
}

JNIEXPORT jint JNICALL UNICORN(uc_1open)(JNIEnv *env, jclass cls, jint arch, jint mode, jlongArray out)
{
	uc_engine *uc = NULL;
	uc_err err = uc_open((uc_arch)arch, (uc_mode)mode, &uc);
	jlong handle = (jlong)(intptr_t)uc;
	(*env)->SetLongArrayRegion(env, out, 0, 1, &handle);
	return err;
}

JNIEXPORT jint JNICALL UNICORN(uc_1close)(JNIEnv *env, jclass cls, jlong uc)
{
	return uc_close(PTR(uc));
}

/* Register values go through a buffer of REG_WORDS longs: in (an MSR's id, a value to write), then out. */
static jint reg_call(JNIEnv *env, jlong uc, jint regid, jlongArray value, int write)
{
	jlong buf[REG_WORDS] = {0};
	jsize n = (*env)->GetArrayLength(env, value);
	if (n > REG_WORDS)
		n = REG_WORDS;
	(*env)->GetLongArrayRegion(env, value, 0, n, buf);
	uc_err err = write ? uc_reg_write(PTR(uc), regid, buf) : uc_reg_read(PTR(uc), regid, buf);
	if (!write)
		(*env)->SetLongArrayRegion(env, value, 0, n, buf);
	return err;
}

JNIEXPORT jint JNICALL UNICORN(uc_1reg_1read)(JNIEnv *env, jclass cls, jlong uc, jint regid, jlongArray value)
{
	return reg_call(env, uc, regid, value, 0);
}

JNIEXPORT jint JNICALL UNICORN(uc_1reg_1write)(JNIEnv *env, jclass cls, jlong uc, jint regid, jlongArray value)
{
	return reg_call(env, uc, regid, value, 1);
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1map)(JNIEnv *env, jclass cls, jlong uc, jlong address, jlong size, jint perms)
{
	return uc_mem_map(PTR(uc), (uint64_t)address, (size_t)size, (uint32_t)perms);
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1map_1ptr)(JNIEnv *env, jclass cls, jlong uc, jlong address, jlong size,
						 jint perms, jlong host)
{
	return uc_mem_map_ptr(PTR(uc), (uint64_t)address, (size_t)size, (uint32_t)perms, PTR(host));
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1unmap)(JNIEnv *env, jclass cls, jlong uc, jlong address, jlong size)
{
	return uc_mem_unmap(PTR(uc), (uint64_t)address, (size_t)size);
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1protect)(JNIEnv *env, jclass cls, jlong uc, jlong address, jlong size,
						jint perms)
{
	return uc_mem_protect(PTR(uc), (uint64_t)address, (size_t)size, (uint32_t)perms);
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1read)(JNIEnv *env, jclass cls, jlong uc, jlong address, jbyteArray bytes,
					     jint size)
{
	jbyte *b = (*env)->GetByteArrayElements(env, bytes, NULL);
	if (!b)
		return UC_ERR_NOMEM;
	uc_err err = uc_mem_read(PTR(uc), (uint64_t)address, b, (size_t)size);
	(*env)->ReleaseByteArrayElements(env, bytes, b, 0);
	return err;
}

JNIEXPORT jint JNICALL UNICORN(uc_1mem_1write)(JNIEnv *env, jclass cls, jlong uc, jlong address, jbyteArray bytes,
					      jint size)
{
	jbyte *b = (*env)->GetByteArrayElements(env, bytes, NULL);
	if (!b)
		return UC_ERR_NOMEM;
	uc_err err = uc_mem_write(PTR(uc), (uint64_t)address, b, (size_t)size);
	(*env)->ReleaseByteArrayElements(env, bytes, b, JNI_ABORT);
	return err;
}

/* The mapped regions as {uc_err, begin, end, perms, begin, end, perms, ...}. */
JNIEXPORT jlongArray JNICALL UNICORN(memRegions)(JNIEnv *env, jclass cls, jlong uc)
{
	uc_mem_region *regions = NULL;
	uint32_t count = 0;
	uc_err err = uc_mem_regions(PTR(uc), &regions, &count);
	if (err != UC_ERR_OK)
		count = 0;
	jlongArray out = (*env)->NewLongArray(env, 1 + 3 * (jsize)count);
	if (out) {
		jlong e = err;
		(*env)->SetLongArrayRegion(env, out, 0, 1, &e);
		for (uint32_t i = 0; i < count; i++) {
			jlong r[3] = {(jlong)regions[i].begin, (jlong)regions[i].end, (jlong)regions[i].perms};
			(*env)->SetLongArrayRegion(env, out, 1 + 3 * (jsize)i, 3, r);
		}
	}
	uc_free(regions);
	return out;
}

JNIEXPORT jint JNICALL UNICORN(uc_1emu_1start)(JNIEnv *env, jclass cls, jlong uc, jlong begin, jlong until,
					      jlong timeout, jlong count)
{
	return uc_emu_start(PTR(uc), (uint64_t)begin, (uint64_t)until, (uint64_t)timeout, (size_t)count);
}

JNIEXPORT jint JNICALL UNICORN(uc_1emu_1stop)(JNIEnv *env, jclass cls, jlong uc)
{
	return uc_emu_stop(PTR(uc));
}

JNIEXPORT jint JNICALL UNICORN(uc_1hook_1del)(JNIEnv *env, jclass cls, jlong uc, jlong hook)
{
	return uc_hook_del(PTR(uc), (uc_hook)hook);
}

JNIEXPORT jint JNICALL UNICORN(uc_1context_1alloc)(JNIEnv *env, jclass cls, jlong uc, jlongArray out)
{
	uc_context *ctx = NULL;
	uc_err err = uc_context_alloc(PTR(uc), &ctx);
	jlong handle = (jlong)(intptr_t)ctx;
	(*env)->SetLongArrayRegion(env, out, 0, 1, &handle);
	return err;
}

JNIEXPORT jint JNICALL UNICORN(uc_1context_1save)(JNIEnv *env, jclass cls, jlong uc, jlong ctx)
{
	return uc_context_save(PTR(uc), PTR(ctx));
}

JNIEXPORT jint JNICALL UNICORN(uc_1context_1restore)(JNIEnv *env, jclass cls, jlong uc, jlong ctx)
{
	return uc_context_restore(PTR(uc), PTR(ctx));
}

JNIEXPORT jint JNICALL UNICORN(uc_1context_1free)(JNIEnv *env, jclass cls, jlong ctx)
{
	return uc_context_free(PTR(ctx));
}

/* A saved context's raw bytes (uc_context_size of them). */
JNIEXPORT jbyteArray JNICALL UNICORN(contextBytes)(JNIEnv *env, jclass cls, jlong uc, jlong ctx)
{
	jsize n = (jsize)uc_context_size(PTR(uc));
	jbyteArray out = (*env)->NewByteArray(env, n);
	if (out)
		(*env)->SetByteArrayRegion(env, out, 0, n, PTR(ctx));
	return out;
}

/* ---- jmck_uc.c (HookNative) ---- */

/* NativeCore.upcall(boolean syscall), looked up at the first attach. */
static jmethodID upcall_method;

/* The hooks' call into Java, on the thread in jmck_core_run. An exception NativeCore.upcall did not catch
 * stays pending and stops the run; no Java code runs again until jmck_core_run returns and throws it. */
static int java_upcall(jmck_core *c, int syscall)
{
	JNIEnv *env = c->upcall_env;
	if ((*env)->ExceptionCheck(env))
		return JMCK_STOP | JMCK_KEEP_RAX;
	jint action = (*env)->CallIntMethod(env, (jobject)c->upcall_target, upcall_method, (jboolean)(syscall != 0));
	if ((*env)->ExceptionCheck(env))
		return JMCK_STOP | JMCK_KEEP_RAX;
	return action;
}

JNIEXPORT jint JNICALL HOOKS(jmck_1probe_1offsets)(JNIEnv *env, jclass cls, jintArray offsets)
{
	int32_t found[2] = {0, 0};
	int r = jmck_probe_offsets(found);
	(*env)->SetIntArrayRegion(env, offsets, 0, 2, (jint *)found);
	return r;
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1attach)(JNIEnv *env, jclass cls, jlong core, jlong uc, jobject target)
{
	if (!upcall_method) {
		jclass k = (*env)->GetObjectClass(env, target);
		upcall_method = (*env)->GetMethodID(env, k, "upcall", "(Z)I");
		if (!upcall_method)
			return UC_ERR_ARG; /* NoSuchMethodError pending: thrown on return */
	}
	jobject ref = (*env)->NewGlobalRef(env, target);
	if (!ref)
		return UC_ERR_NOMEM;
	int err = jmck_core_attach(PTR(core), PTR(uc), java_upcall, ref);
	if (err != UC_ERR_OK) {
		((jmck_core *)PTR(core))->upcall_target = NULL;
		(*env)->DeleteGlobalRef(env, ref);
	}
	return err;
}

JNIEXPORT void JNICALL HOOKS(jmck_1core_1detach)(JNIEnv *env, jclass cls, jlong core)
{
	jmck_core *c = PTR(core);
	jmck_core_detach(c);
	if (c->upcall_target)
		(*env)->DeleteGlobalRef(env, (jobject)c->upcall_target);
	c->upcall_target = NULL;
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1run)(JNIEnv *env, jclass cls, jlong core, jlong rip, jlong count)
{
	jmck_core *c = PTR(core);
	c->upcall_env = env;
	return jmck_core_run(c, (uint64_t)rip, (uint64_t)count);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1set_1budget)(JNIEnv *env, jclass cls, jlong core, jlong blocks)
{
	return jmck_core_set_budget(PTR(core), blocks);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1has_1budget_1hook)(JNIEnv *env, jclass cls, jlong core)
{
	return jmck_core_has_budget_hook(PTR(core));
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1enable_1ipis)(JNIEnv *env, jclass cls, jlong core)
{
	return jmck_core_enable_ipis(PTR(core));
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1stop_1between_1blocks)(JNIEnv *env, jclass cls, jlong core, jint on)
{
	return jmck_core_stop_between_blocks(PTR(core), on);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1post)(JNIEnv *env, jclass cls, jlong core, jint bits)
{
	return jmck_core_post(PTR(core), (uint32_t)bits);
}

JNIEXPORT void JNICALL HOOKS(jmck_1lend_1host_1cpus)(JNIEnv *env, jclass cls, jint cpus)
{
	jmck_lend_host_cpus(cpus);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1parallel_1build)(JNIEnv *env, jclass cls)
{
	return jmck_parallel_build();
}

JNIEXPORT jint JNICALL HOOKS(jmck_1core_1set_1breakpoints)(JNIEnv *env, jclass cls, jlong core, jlongArray addresses,
							   jint n)
{
	jlong *a = (*env)->GetLongArrayElements(env, addresses, NULL);
	if (!a)
		return UC_ERR_NOMEM;
	int err = jmck_core_set_breakpoints(PTR(core), (const uint64_t *)a, n);
	(*env)->ReleaseLongArrayElements(env, addresses, a, JNI_ABORT);
	return err;
}

JNIEXPORT jint JNICALL HOOKS(jmck_1set_1tcg_1buffer_1size)(JNIEnv *env, jclass cls, jlong uc, jint bytes)
{
	return jmck_set_tcg_buffer_size(PTR(uc), (uint32_t)bytes);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1flush_1tlb)(JNIEnv *env, jclass cls, jlong uc)
{
	return jmck_flush_tlb(PTR(uc));
}

JNIEXPORT jlong JNICALL HOOKS(jmck_1tlb_1grow)(JNIEnv *env, jclass cls, jlong uc, jint entries)
{
	return jmck_tlb_grow(PTR(uc), entries);
}

JNIEXPORT jlong JNICALL HOOKS(jmck_1tlb_1reserve)(JNIEnv *env, jclass cls, jint entries)
{
	return jmck_tlb_reserve(entries);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1flush_1tb)(JNIEnv *env, jclass cls, jlong uc)
{
	return jmck_flush_tb(PTR(uc));
}

JNIEXPORT jint JNICALL HOOKS(jmck_1set_1cpu_1model)(JNIEnv *env, jclass cls, jlong uc, jint model)
{
	return jmck_set_cpu_model(PTR(uc), model);
}

JNIEXPORT jint JNICALL HOOKS(jmck_1remove_1cache)(JNIEnv *env, jclass cls, jlong uc, jlong begin, jlong end)
{
	return jmck_remove_cache(PTR(uc), (uint64_t)begin, (uint64_t)end);
}
