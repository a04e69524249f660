using SpeechTok.Tensors;

namespace SpeechTok.Selection;

/// <summary>
/// Weighted logistic regression with sklearn's objective: C·Σᵢ sᵢ·ℓᵢ + r(W), intercept unpenalised,
/// sᵢ = n/(K·count(yᵢ)) (class_weight='balanced'); binary (one vector, K = 2) or multinomial softmax
/// over the full K×p matrix. Solved by block proximal Newton (newGLMNET-style): per coefficient row,
/// a quadratic model with the exact diagonal-in-samples Hessian, cyclic coordinate descent on it over an
/// working set (glmnet's non-zero sweeps), an Armijo line search on the true objective, and a full KKT
/// check that grows the working set by the worst violators until no coefficient violates optimality.
/// L1 fits follow a warm-started geometric C path from the first C with a non-zero coefficient.
/// </summary>
public static class LogisticRegression
{
    /// <summary>The largest C accepted: about 1e-4 of 1/ε of double precision, so that the penalty still counts.</summary>
    public const double MaxC = 1e12;

    /// <summary>Balanced class weights n/(K·count_c); a class absent from <paramref name="y"/> is an error.</summary>
    public static double[] BalancedClassWeights(int[] y, int numClasses)
    {
        var counts = new int[numClasses];
        foreach (var v in y)
        {
            if ((uint)v >= (uint)numClasses) throw new SpeechTokException($"label {v} is outside 0..{numClasses - 1}");
            counts[v]++;
        }
        var w = new double[numClasses];
        for (int c = 0; c < numClasses; c++)
        {
            if (counts[c] == 0) throw new SpeechTokException($"class {c} has no training sample; every class must occur in the training rows");
            w[c] = (double)y.Length / (numClasses * counts[c]);
        }
        return w;
    }

    public static LogisticFit Fit(CsrMatrix x, int[] y, int numClasses, double c, Penalty penalty, LogisticOptions? options = null) =>
        FitPath(x, y, numClasses, [c], penalty, options)[0];

    /// <summary>Fits every C of <paramref name="cs"/> (any order; solved ascending with warm starts), results in input order.</summary>
    public static IReadOnlyList<LogisticFit> FitPath(CsrMatrix x, int[] y, int numClasses, IReadOnlyList<double> cs, Penalty penalty, LogisticOptions? options = null)
    {
        if (y.Length != x.Rows) throw new ArgumentException($"{x.Rows} rows but {y.Length} labels");
        if (numClasses < 2) throw new SpeechTokException("logistic regression needs at least two classes");
        // Beyond MaxC the penalty (gradient 1) falls below double precision against C × the loss gradient: the solver
        // would chase an unpenalised, possibly divergent fit.
        foreach (var c in cs) if (!(c > 0 && c <= MaxC)) throw new SpeechTokException($"C must be a positive number ≤ {MaxC:0e0}, got {c}");
        var tol = (options ?? new LogisticOptions()).Tolerance;
        if (!(tol > 0 && tol < 1)) throw new SpeechTokException($"the solver's tolerance (--tol) must be in (0, 1), got {tol}");
        // Under L1, identical columns make the optimum non-unique (any split of their total weight is
        // optimal): solve them as one column and share its weight equally, the tie-break of smooth
        // solvers and of the elastic-net limit, which keeps the selection independent of column order.
        // The L2 optimum is unique (and already splits equally).
        var csc = x.ToCsc();
        var (distinct, groupOf) = penalty == Penalty.L1 ? csc.DistinctColumns() : (csc, Enumerable.Range(0, csc.Cols).ToArray());
        var groupSize = new int[distinct.Cols];
        foreach (var g in groupOf) groupSize[g]++;
        var solver = new Solver(distinct, y, numClasses, penalty, options ?? new LogisticOptions());
        var order = Enumerable.Range(0, cs.Count).OrderBy(i => cs[i]).ToArray();
        var fits = new LogisticFit[cs.Count];
        foreach (var i in order) fits[i] = Expand(solver.Solve(cs[i]), groupOf, groupSize);
        return fits;
    }

    private static LogisticFit Expand(LogisticFit fit, int[] groupOf, int[] groupSize)
    {
        if (groupOf.Length == groupSize.Length) return fit;
        var coef = fit.Coef.Select(row =>
        {
            var full = new double[groupOf.Length];
            for (int j = 0; j < full.Length; j++) full[j] = row[groupOf[j]] / groupSize[groupOf[j]];
            return full;
        }).ToArray();
        // Σ_members |w/size| = |w|: the objective and the KKT residual carry over unchanged.
        return new LogisticFit
        {
            NumClasses = fit.NumClasses, C = fit.C, Penalty = fit.Penalty, Coef = coef, Intercept = fit.Intercept,
            Objective = fit.Objective, Kkt = fit.Kkt, OuterIterations = fit.OuterIterations, Converged = fit.Converged,
        };
    }

    private sealed class Solver
    {
        private readonly CscMatrix _x;
        private readonly int[] _y;
        private readonly double[] _s;
        private readonly int _n, _p, _k, _m;
        private readonly Penalty _pen;
        private readonly LogisticOptions _opt;
        private readonly double[][] _w;
        private readonly double[] _b;
        private readonly double[] _eta;   // n × m linear predictors
        private readonly bool[] _active;
        // Scratch, reused across blocks.
        private readonly double[] _r, _h, _q, _prob, _gradAll;
        private double _c = double.NaN;
        private bool _interceptOnlyDone;

        public Solver(CscMatrix x, int[] y, int k, Penalty pen, LogisticOptions opt)
        {
            _x = x; _y = y; _k = k; _pen = pen; _opt = opt;
            _n = x.Rows; _p = x.Cols; _m = k == 2 ? 1 : k;
            var cw = BalancedClassWeights(y, k);
            _s = y.Select(v => cw[v]).ToArray();
            _w = Enumerable.Range(0, _m).Select(_ => new double[_p]).ToArray();
            _b = new double[_m];
            _eta = new double[_n * _m];
            _active = new bool[_p];
            _r = new double[_n]; _h = new double[_n]; _q = new double[_n];
            _prob = new double[_n];
            _gradAll = new double[_m * _p];
        }

        public LogisticFit Solve(double c)
        {
            if (_pen == Penalty.L2)
            {
                Array.Fill(_active, true);
                return Finish(c, Converge(c));
            }
            if (!_interceptOnlyDone)
            {
                // w = 0 with the optimal intercepts; its gradient gives the smallest C with a non-zero coefficient.
                Converge(1.0, grow: false);
                _interceptOnlyDone = true;
            }
            int outer = 0;
            foreach (var ci in PathTo(c)) outer = PathStep(ci);
            return Finish(c, outer);
        }

        /// <summary>Geometric path from the current C (or the first C with a non-zero coefficient) up to <paramref name="c"/>.</summary>
        private IEnumerable<double> PathTo(double c)
        {
            double start = double.IsNaN(_c) ? 0 : _c;
            if (double.IsNaN(_c) || AllZero())
            {
                // Full gradient at the current point, C = 1: the data gradient ∇L.
                _c = 1.0;
                FullGradient();
                double gmax = 0;
                for (int i = 0; i < _gradAll.Length; i++) gmax = Math.Max(gmax, Math.Abs(_gradAll[i]));
                start = gmax > 0 ? 1.0 / gmax : c;
            }
            if (start >= c) { yield return c; yield break; }
            int steps = (int)Math.Ceiling(Math.Log10(c / start) * _opt.PathStepsPerDecade);
            for (int t = 1; t < steps; t++) yield return start * Math.Pow(c / start, (double)t / steps);
            yield return c;
        }

        private bool AllZero() => _w.All(row => Array.TrueForAll(row, v => v == 0));

        /// <summary>Moves from the current solution (at _c) to C = <paramref name="c"/>, starting from its non-zero columns.</summary>
        private int PathStep(double c)
        {
            for (int j = 0; j < _p; j++)
            {
                bool keep = false;
                for (int r = 0; r < _m && !keep; r++) keep = _w[r][j] != 0;
                _active[j] = keep;
            }
            return Converge(c);
        }

        /// <summary>Solves at C over the active set, growing it until the full KKT check passes. Returns outer iterations.</summary>
        private int Converge(double c, bool grow = true)
        {
            _c = c;
            double tol = _opt.Tolerance;
            double kkt = double.PositiveInfinity;
            int it = 0;
            while (it < _opt.MaxOuterIterations)
            {
                var act = ActiveList();
                // A start that already meets the tolerance is kept, as lbfgs's first gradient check: on data without class
                // signal the balanced gradient at w = 0, b = 0 is rounding noise (~1e-17), and a step on it made the logits
                // noise that picked the predicted class and the chosen C (sklearn keeps w = 0, b = 0: class 0).
                double kktActive = ActiveKkt(act);
                if (kktActive > tol)
                {
                    kktActive = double.PositiveInfinity; // the first step's inner tolerance, as without the check
                    while (it < _opt.MaxOuterIterations)
                    {
                        for (int r = 0; r < _m; r++) BlockStep(r, act, kktActive);
                        it++;
                        kktActive = ActiveKkt(act);
                        if (kktActive <= tol) break;
                    }
                }
                kkt = FullGradient();
                if (kkt <= tol || !grow) break;
                // Grow the working set by the worst violators, at most doubling it per round: on dense
                // audio counts thousands of columns violate at w = 0 while a few hundred end up non-zero.
                var violators = new List<(double Viol, int Col)>();
                for (int j = 0; j < _p; j++)
                {
                    if (_active[j]) continue;
                    double worst = 0;
                    for (int r = 0; r < _m; r++) worst = Math.Max(worst, Math.Abs(_gradAll[r * _p + j]) - 1.0);
                    if (worst > 0) violators.Add((worst, j));
                }
                if (violators.Count == 0 && kktActive <= tol) break; // only the tolerance-level residual remains
                violators.Sort((a, b) => b.Viol != a.Viol ? b.Viol.CompareTo(a.Viol) : a.Col.CompareTo(b.Col));
                foreach (var (_, j) in violators.Take(Math.Max(16, act.Length))) _active[j] = true;
            }
            _lastKkt = kkt;
            return it;
        }

        private double _lastKkt = double.PositiveInfinity;

        private int[] ActiveList()
        {
            var list = new List<int>();
            for (int j = 0; j < _p; j++) if (_active[j]) list.Add(j);
            return list.ToArray();
        }

        /// <summary>r = C·∂loss/∂η and h = C·∂²loss/∂η² for coefficient row <paramref name="row"/>.</summary>
        private void Derivatives(int row, double[] eta, double[] r, double[]? h)
        {
            double c = _c;
            if (_m == 1)
            {
                for (int i = 0; i < _n; i++)
                {
                    double sig = Sigmoid(eta[i]);
                    _prob[i] = sig;
                    r[i] = c * _s[i] * (sig - (_y[i] == 1 ? 1 : 0));
                    if (h != null) h[i] = c * _s[i] * sig * (1 - sig);
                }
                return;
            }
            for (int i = 0; i < _n; i++)
            {
                double p = Softmax(eta, i, row);
                _prob[i] = p;
                r[i] = c * _s[i] * (p - (_y[i] == row ? 1 : 0));
                if (h != null) h[i] = c * _s[i] * p * (1 - p);
            }
        }

        private double Softmax(double[] eta, int i, int row)
        {
            int o = i * _m;
            double mx = eta[o];
            for (int k = 1; k < _m; k++) mx = Math.Max(mx, eta[o + k]);
            double z = 0;
            for (int k = 0; k < _m; k++) z += Math.Exp(eta[o + k] - mx);
            return Math.Exp(eta[o + row] - mx) / z;
        }

        // .NET's LogP1/ExpM1 are computed as Log(1+x)/Exp(x)−1; these are Kahan's accurate forms.
        private static double Log1p(double x)
        {
            double u = 1 + x;
            return u == 1 ? x : Math.Log(u) * x / (u - 1);
        }

        private static double ExpM1(double x)
        {
            double u = Math.Exp(x);
            if (u == 1) return x;
            double um1 = u - 1;
            return um1 == -1 ? -1 : double.IsInfinity(u) ? u : um1 * x / Math.Log(u);
        }

        private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));

        /// <summary>Σᵢ sᵢ·lossᵢ at predictors <paramref name="eta"/>.</summary>
        private double DataLoss(double[] eta)
        {
            double sum = 0;
            if (_m == 1)
            {
                for (int i = 0; i < _n; i++)
                {
                    double z = _y[i] == 1 ? -eta[i] : eta[i]; // loss = log(1 + e^z)
                    sum += _s[i] * (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z)));
                }
                return sum;
            }
            for (int i = 0; i < _n; i++)
            {
                int o = i * _m;
                double mx = eta[o];
                for (int k = 1; k < _m; k++) mx = Math.Max(mx, eta[o + k]);
                double z = 0;
                for (int k = 0; k < _m; k++) z += Math.Exp(eta[o + k] - mx);
                sum += _s[i] * (mx + Math.Log(z) - eta[o + _y[i]]);
            }
            return sum;
        }

        private double PenaltyOf(double v) => _pen == Penalty.L1 ? Math.Abs(v) : 0.5 * v * v;

        private double PenaltyTotal()
        {
            double s = 0;
            foreach (var row in _w) foreach (var v in row) s += PenaltyOf(v);
            return s;
        }

        /// <summary>One proximal Newton step on coefficient row <paramref name="row"/> restricted to <paramref name="act"/>.</summary>
        private void BlockStep(int row, int[] act, double kktHint)
        {
            Derivatives(row, _eta, _r, _h);
            var w = _w[row];
            var colPtr = _x.ColPtr; var rows = _x.RowIndices; var vals = _x.Values;
            int na = act.Length;
            var g = new double[na];
            var hd = new double[na];
            var hx = new double[na]; // Σᵢ hᵢ·x_ij: the h-weighted column mean is hx/Σh
            var d = new double[na];
            for (int a = 0; a < na; a++)
            {
                int j = act[a];
                double gs = 0, hs = 0, xs = 0;
                for (int p = colPtr[j]; p < colPtr[j + 1]; p++)
                {
                    double v = vals[p]; int i = rows[p];
                    gs += v * _r[i];
                    double vh = v * _h[i];
                    xs += vh;
                    hs += v * vh;
                }
                g[a] = gs;
                hd[a] = hs;
                hx[a] = xs;
            }
            double gb = 0, hb = 1e-300;
            for (int i = 0; i < _n; i++) { gb += _r[i]; hb += _h[i]; }
            for (int a = 0; a < na; a++) hd[a] = Math.Max(hd[a] - hx[a] * hx[a] / hb, 1e-12 * hd[a]) + 1e-12;
            // The quadratic model's intercept is kept at its optimum throughout (glmnet's implicit
            // centring): a coordinate move Δ on column j comes with an intercept move −Δ·μ_j, i.e. CD
            // runs on h-weighted centred columns. Uncentred dense columns (TF-IDF of counts is all
            // positive) are strongly correlated through their means; centring removes that coupling.
            // The model's predictor change is q̂ᵢ (sparse part, in _q) + off (the common intercept part).
            Array.Clear(_q);
            double db = -gb / hb, off = db;
            double innerTol = Math.Max(0.1 * _opt.Tolerance, double.IsInfinity(kktHint) ? 0.1 : 0.1 * kktHint);
            bool l1 = _pen == Penalty.L1;
            // glmnet's working set: a pass over the whole active set, then passes over its non-zero
            // coordinates only until they settle, then a whole pass again to confirm.
            var work = new int[na];
            int nWork = na;
            for (int a = 0; a < na; a++) work[a] = a;
            bool full = true;
            for (int pass = 0; pass < 1000; pass++)
            {
                double maxViol = 0;
                for (int t = 0; t < nWork; t++)
                {
                    int a = full ? t : work[t];
                    int j = act[a];
                    double gq = 0;
                    int p0 = colPtr[j], p1 = colPtr[j + 1];
                    for (int p = p0; p < p1; p++) { int i = rows[p]; gq += vals[p] * _h[i] * _q[i]; }
                    double grad = g[a] + gq + off * hx[a], hh = hd[a], z = w[j] + d[a];
                    double zNew;
                    if (l1)
                    {
                        double u = z - grad / hh, thr = 1.0 / hh;
                        zNew = u > thr ? u - thr : u < -thr ? u + thr : 0.0;
                    }
                    else zNew = z - (grad + z) / (hh + 1.0);
                    double delta = zNew - z;
                    if (delta == 0) continue;
                    d[a] += delta;
                    for (int p = p0; p < p1; p++) _q[rows[p]] += delta * vals[p];
                    double shift = -delta * hx[a] / hb;
                    db += shift; off += shift;
                    maxViol = Math.Max(maxViol, Math.Abs(delta) * hh);
                }
                // Re-centre the intercept against accumulated rounding.
                double gbq = gb + off * hb;
                for (int i = 0; i < _n; i++) gbq += _h[i] * _q[i];
                double deltaB = -gbq / hb;
                db += deltaB; off += deltaB;
                if (maxViol > innerTol && !full) continue;
                if (full && maxViol <= innerTol) break;
                full = !full;
                if (full) nWork = na;
                else
                {
                    nWork = 0;
                    for (int a = 0; a < na; a++) if (w[act[a]] + d[a] != 0) work[nWork++] = a;
                }
            }
            for (int i = 0; i < _n; i++) _q[i] += off;

            // Armijo line search on the true objective along (d, db). The change of the data term is
            // summed per sample as log1p(p·expm1(δ)) − [y=k]·δ, which stays accurate when the change is far
            // below the rounding of the objective itself (rare words get huge scaled values, so KKT
            // residuals near 1e-7 mean objective changes near 1e-16 relative).
            double decrease = gb * db;
            for (int a = 0; a < na; a++)
            {
                int j = act[a];
                decrease += g[a] * d[a] + PenaltyOf(w[j] + d[a]) - PenaltyOf(w[j]);
            }
            if (decrease >= 0) return; // already optimal for this row's model
            double alpha = 1;
            for (int ls = 0; ls < 60; ls++)
            {
                double change = 0;
                for (int i = 0; i < _n; i++)
                {
                    double delta = alpha * _q[i];
                    change += _s[i] * (Log1p(_prob[i] * ExpM1(delta)) - (Target(i, row) ? delta : 0));
                }
                change *= _c;
                for (int a = 0; a < na; a++)
                {
                    int j = act[a];
                    change += PenaltyOf(w[j] + alpha * d[a]) - PenaltyOf(w[j]);
                }
                if (change <= 0.01 * alpha * decrease)
                {
                    for (int a = 0; a < na; a++) w[act[a]] += alpha * d[a];
                    _b[row] += alpha * db;
                    for (int i = 0; i < _n; i++) _eta[i * _m + row] += alpha * _q[i];
                    return;
                }
                alpha *= 0.5;
            }
        }

        private bool Target(int i, int row) => _m == 1 ? _y[i] == 1 : _y[i] == row;

        private double Violation(double g, double w)
        {
            if (_pen == Penalty.L2) return Math.Abs(g + w);
            if (w > 0) return Math.Abs(g + 1);
            if (w < 0) return Math.Abs(g - 1);
            return Math.Max(0, Math.Abs(g) - 1);
        }

        /// <summary>Fills _r with row <paramref name="row"/>'s residuals; returns the intercept's KKT residual (its gradient, unpenalised).</summary>
        private double ResidualAndInterceptKkt(int row)
        {
            Derivatives(row, _eta, _r, null);
            double gb = 0;
            for (int i = 0; i < _n; i++) gb += _r[i];
            return Math.Abs(gb);
        }

        /// <summary>KKT residual over the active columns and the intercepts.</summary>
        private double ActiveKkt(int[] act)
        {
            double worst = 0;
            for (int row = 0; row < _m; row++)
            {
                worst = Math.Max(worst, ResidualAndInterceptKkt(row));
                var w = _w[row];
                foreach (int j in act)
                {
                    double gs = 0;
                    for (int p = _x.ColPtr[j]; p < _x.ColPtr[j + 1]; p++) gs += _x.Values[p] * _r[_x.RowIndices[p]];
                    worst = Math.Max(worst, Violation(gs, w[j]));
                }
            }
            return worst;
        }

        /// <summary>Gradient of every coefficient into _gradAll; returns the full KKT residual.</summary>
        private double FullGradient()
        {
            double worst = 0;
            for (int row = 0; row < _m; row++)
            {
                worst = Math.Max(worst, ResidualAndInterceptKkt(row));
                var w = _w[row];
                int off = row * _p;
                var colPtr = _x.ColPtr; var rows = _x.RowIndices; var vals = _x.Values; var r = _r; var grad = _gradAll;
                var partWorst = new double[Math.Max(1, Threading.Threads)];
                Threading.ForRange(_p, 256, (j0, j1) =>
                {
                    double local = 0;
                    for (int j = j0; j < j1; j++)
                    {
                        double gs = 0;
                        for (int p = colPtr[j]; p < colPtr[j + 1]; p++) gs += vals[p] * r[rows[p]];
                        grad[off + j] = gs;
                        local = Math.Max(local, Violation(gs, w[j]));
                    }
                    lock (partWorst) partWorst[0] = Math.Max(partWorst[0], local);
                });
                worst = Math.Max(worst, partWorst[0]);
            }
            return worst;
        }

        private LogisticFit Finish(double c, int outer) => new()
        {
            NumClasses = _k,
            C = c,
            Penalty = _pen,
            Coef = _w.Select(r => (double[])r.Clone()).ToArray(),
            Intercept = (double[])_b.Clone(),
            Objective = c * DataLoss(_eta) + PenaltyTotal(),
            Kkt = _lastKkt,
            OuterIterations = outer,
            Converged = _lastKkt <= _opt.Tolerance,
        };
    }
}
