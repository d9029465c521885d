package jmck.lwk.mm;

/**
 * The free gaps of an address space, for finding the highest one that holds a request in O(log n): each
 * gap is filed under the start of the VMA just above it (the topmost gap under Long.MAX_VALUE) with its
 * top and its size, in a treap (a binary search tree by key, a heap by a pseudo-random priority, so
 * expected O(log n) deep) where every node also knows the largest gap in its subtree. The search walks
 * down from the root, to the right (higher) subtree whenever it holds a gap that is large enough, so it
 * finds the highest fit without looking at the gaps it skips. This is the augmentation Linux's VMA
 * rb-tree carried from 3.8 to 6.0 (rb_subtree_gap, unmapped_area_topdown) and its maple tree keeps.
 * {@link VmaTree} keeps it in step with the VMAs; it is not locked itself (the mm lock covers it).
 */
final class GapTree {
    private static final class Node {
        final long key;
        final long priority;
        long top;
        long size;
        long maxSize; // the largest size in this subtree
        Node left, right;

        Node(long key, long top, long size) {
            this.key = key;
            this.priority = mix(key);
            this.top = top;
            this.size = size;
            this.maxSize = size;
        }
    }

    private Node root;

    /** Files the gap [top - size, top) under key, replacing what was filed there. */
    void put(long key, long top, long size) {
        if (!update(root, key, top, size))
            root = insert(root, new Node(key, top, size));
    }

    void remove(long key) {
        root = delete(root, key);
    }

    void clear() {
        root = null;
    }

    /** The top less len of the gap with the highest key whose size is at least len, or -1 if none is. */
    long highestFit(long len) {
        Node n = root;
        if (n == null || n.maxSize < len)
            return -1;
        while (true) {
            if (n.right != null && n.right.maxSize >= len)
                n = n.right;
            else if (n.size >= len)
                return n.top - len;
            else
                n = n.left; // the subtree's maximum is at least len and is neither right nor here
        }
    }

    private static boolean update(Node n, long key, long top, long size) {
        if (n == null)
            return false;
        boolean found;
        if (key < n.key) {
            found = update(n.left, key, top, size);
        } else if (key > n.key) {
            found = update(n.right, key, top, size);
        } else {
            n.top = top;
            n.size = size;
            found = true;
        }
        if (found)
            pull(n);
        return found;
    }

    private static Node insert(Node t, Node n) {
        if (t == null)
            return n;
        if (n.key < t.key) {
            t.left = insert(t.left, n);
            if (t.left.priority > t.priority)
                t = rotateRight(t);
        } else {
            t.right = insert(t.right, n);
            if (t.right.priority > t.priority)
                t = rotateLeft(t);
        }
        return pull(t);
    }

    private static Node delete(Node t, long key) {
        if (t == null)
            return null;
        if (key < t.key)
            t.left = delete(t.left, key);
        else if (key > t.key)
            t.right = delete(t.right, key);
        else
            return merge(t.left, t.right);
        return pull(t);
    }

    /** Joins two treaps whose keys are all in a below all in b. */
    private static Node merge(Node a, Node b) {
        if (a == null)
            return b;
        if (b == null)
            return a;
        if (a.priority > b.priority) {
            a.right = merge(a.right, b);
            return pull(a);
        }
        b.left = merge(a, b.left);
        return pull(b);
    }

    private static Node rotateRight(Node t) {
        Node l = t.left;
        t.left = l.right;
        l.right = pull(t);
        return l;
    }

    private static Node rotateLeft(Node t) {
        Node r = t.right;
        t.right = r.left;
        r.left = pull(t);
        return r;
    }

    private static Node pull(Node n) {
        long m = n.size;
        if (n.left != null && n.left.maxSize > m)
            m = n.left.maxSize;
        if (n.right != null && n.right.maxSize > m)
            m = n.right.maxSize;
        n.maxSize = m;
        return n;
    }

    /** A priority from the key (SplitMix64's finalizer): the tree's shape is the same on every run. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
