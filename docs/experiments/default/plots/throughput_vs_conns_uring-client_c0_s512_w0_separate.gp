set terminal svg size 860,440 dynamic noenhanced font 'Helvetica,12' background rgb 'white'
set grid lc rgb '#dddddd'
set key top left box opaque
set border lc rgb '#555555'
set title "Closed-loop throughput vs connections (512 B)"
set xlabel 'connections'
set ylabel 'requests/s (median, bars: min…max)'
set key outside right top
set logscale x
set yrange [0:*]
set format y '%.0s%c'
set xrange [6.66667:600]
set xtics (10, 100, 400)
plot 'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_0.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb '#d62728' title 'blocking, separate', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_1.dat' using 1:2 with linespoints lw 2 pt 6 ps 0.9 dt 2 lc rgb '#d62728' title 'blocking, shared', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#d62728' notitle, \
     'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_2.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb '#1f77b4' title 'epoll, separate', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_3.dat' using 1:2 with linespoints lw 2 pt 6 ps 0.9 dt 2 lc rgb '#1f77b4' title 'epoll, shared', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#1f77b4' notitle, \
     'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_4.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb '#2ca02c' title 'io_uring, separate', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle, \
     'plots/throughput_vs_conns_uring-client_c0_s512_w0_separate_5.dat' using 1:2 with linespoints lw 2 pt 6 ps 0.9 dt 2 lc rgb '#2ca02c' title 'io_uring, shared', '' using 1:2:3:4 with yerrorbars pt -1 lw 1 lc rgb '#2ca02c' notitle
